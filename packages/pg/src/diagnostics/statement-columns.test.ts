import { describe, expect, it } from 'vitest'
import { statementColumns } from './statement-columns.js'

describe('statementColumns()', () => {
  it('names the pre-13 columns for 12', () => {
    expect(statementColumns(120017)).toEqual({
      totalTime: 'total_time',
      meanTime: 'mean_time',
      minTime: 'min_time',
      maxTime: 'max_time',
      stddevTime: 'stddev_time',
      totalPlanTime: null,
      blockReadTime: 'blk_read_time',
      blockWriteTime: 'blk_write_time',
    })
  })

  it.each([130000, 140011, 150020, 160006])('names *_exec_time and total_plan_time for %i', (version) => {
    expect(statementColumns(version)).toMatchObject({
      totalTime: 'total_exec_time',
      meanTime: 'mean_exec_time',
      stddevTime: 'stddev_exec_time',
      totalPlanTime: 'total_plan_time',
      blockReadTime: 'blk_read_time',
    })
  })

  it('names shared_blk_*_time from 17', () => {
    expect(statementColumns(170002)).toMatchObject({
      totalTime: 'total_exec_time',
      blockReadTime: 'shared_blk_read_time',
      blockWriteTime: 'shared_blk_write_time',
    })
  })
})
