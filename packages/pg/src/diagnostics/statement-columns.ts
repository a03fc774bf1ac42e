/** Column names of `pg_stat_statements` for one server version (they changed in 13 and 17). */
export interface StatementColumns {
  totalTime: string
  meanTime: string
  minTime: string
  maxTime: string
  stddevTime: string
  /** Planning time; `null` before 13, which did not track it. */
  totalPlanTime: string | null
  /** Time reading shared blocks (with `track_io_timing`): `blk_read_time`, `shared_blk_read_time` from 17. */
  blockReadTime: string
  /** Time writing shared blocks: `blk_write_time`, `shared_blk_write_time` from 17. */
  blockWriteTime: string
}

/**
 * The `pg_stat_statements` column names for a `server_version_num` (e.g. 150020): execution times
 * are `*_exec_time` from 13 (`*_time` before), planning time exists from 13, and block I/O times
 * are `shared_blk_*_time` from 17.
 *
 * @example
 * statementColumns(170002).blockReadTime // 'shared_blk_read_time'
 */
export function statementColumns(serverVersionNum: number): StatementColumns {
  const v13 = serverVersionNum >= 130000
  const exec = (name: string): string => (v13 ? `${name}_exec_time` : `${name}_time`)
  const io = serverVersionNum >= 170000 ? 'shared_blk' : 'blk'
  return {
    totalTime: exec('total'),
    meanTime: exec('mean'),
    minTime: exec('min'),
    maxTime: exec('max'),
    stddevTime: exec('stddev'),
    totalPlanTime: v13 ? 'total_plan_time' : null,
    blockReadTime: `${io}_read_time`,
    blockWriteTime: `${io}_write_time`,
  }
}
