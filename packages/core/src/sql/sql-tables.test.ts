import { describe, expect, it } from 'vitest'
import { sqlTables } from './sql-tables.js'
import { scanTables } from './table-scanner.js'
import type { SqlDialect, SqlTouches, SqlWriteKind } from './types.js'

/** `'app.users'` → `{ schema: 'app', name: 'users' }`; names with dots are not used here. */
function t(qualified: string): { schema: string | undefined; name: string } {
  const dot = qualified.lastIndexOf('.')
  return dot === -1
    ? { schema: undefined, name: qualified }
    : { schema: qualified.slice(0, dot), name: qualified.slice(dot + 1) }
}

function pg(sql: string): SqlTouches {
  return sqlTables(sql)
}

function my(sql: string): SqlTouches {
  return sqlTables(sql, { dialect: 'mysql' })
}

function reads(...names: string[]) {
  return names.map(t)
}

function writes(...names: string[]): { table: ReturnType<typeof t>; kind: SqlWriteKind }[] {
  return names.map((n) => {
    const [name, kind] = n.split(':') as [string, SqlWriteKind | undefined]
    return { table: t(name), kind: kind ?? 'rows' }
  })
}

function read(...names: string[]): SqlTouches {
  return { kind: 'read', reads: reads(...names), writes: [] }
}

describe('sqlTables() SELECT', () => {
  it('reads tables of every kind of JOIN, comma joins and LATERAL', () => {
    expect(
      pg(
        'SELECT * FROM a INNER JOIN b ON a.id = b.a LEFT OUTER JOIN c USING (id) RIGHT JOIN d ON true FULL JOIN e ON true CROSS JOIN f NATURAL JOIN g',
      ),
    ).toEqual(read('a', 'b', 'c', 'd', 'e', 'f', 'g'))
    expect(pg('SELECT * FROM a, b AS x, c y WHERE a.id = x.id')).toEqual(read('a', 'b', 'c'))
    expect(pg('SELECT * FROM a JOIN b ON a.id = b.id, c')).toEqual(read('a', 'b', 'c'))
    expect(pg('SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.a = a.id) x, c')).toEqual(read('a', 'b', 'c'))
    expect(pg('SELECT * FROM a JOIN LATERAL (SELECT * FROM b) x ON true')).toEqual(read('a', 'b'))
    expect(pg('SELECT * FROM (a JOIN b ON a.id = b.id) JOIN c ON true')).toEqual(read('a', 'b', 'c'))
    expect(my('SELECT * FROM a STRAIGHT_JOIN b ON a.id = b.id')).toEqual(read('a', 'b'))
    expect(my('SELECT STRAIGHT_JOIN x FROM a')).toEqual(read('a'))
  })

  it('reads subqueries in FROM, WHERE and the select list, EXISTS and set operations', () => {
    expect(pg('SELECT (SELECT count(*) FROM b WHERE b.a = a.id) AS n FROM a')).toEqual(read('b', 'a'))
    expect(pg('SELECT * FROM (SELECT * FROM a) s WHERE s.id IN (SELECT id FROM b)')).toEqual(read('a', 'b'))
    expect(pg('SELECT 1 WHERE EXISTS (SELECT 1 FROM a) AND NOT EXISTS (SELECT 1 FROM b)')).toEqual(read('a', 'b'))
    expect(
      pg('SELECT id FROM a UNION ALL SELECT id FROM b INTERSECT SELECT id FROM c EXCEPT SELECT id FROM d'),
    ).toEqual(read('a', 'b', 'c', 'd'))
    expect(pg('(SELECT id FROM a) UNION (SELECT id FROM b)')).toEqual(read('a', 'b'))
    expect(pg('SELECT * FROM a UNION ALL TABLE b')).toEqual(read('a', 'b'))
    expect(pg('SELECT coalesce((SELECT max(x) FROM a), 0)')).toEqual(read('a'))
  })

  it('reads CTE bodies but not CTE names, WITH RECURSIVE included', () => {
    expect(pg('WITH x AS (SELECT * FROM a), y AS (SELECT * FROM x JOIN b ON true) SELECT * FROM y, c')).toEqual(
      read('a', 'b', 'c'),
    )
    expect(
      pg(
        'WITH RECURSIVE tree(id, parent) AS (SELECT id, parent FROM nodes WHERE id = 1 UNION ALL SELECT n.id, n.parent FROM nodes n JOIN tree ON n.parent = tree.id) SELECT * FROM tree',
      ),
    ).toEqual(read('nodes'))
    expect(pg('WITH "X" AS MATERIALIZED (SELECT 1) SELECT * FROM "X", x')).toEqual(read('x'))
    // A CTE name is in scope only inside the parentheses that define it.
    expect(pg('SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) s JOIN t ON true')).toEqual(read('t'))
    expect(pg('SELECT (WITH t AS (SELECT 1) SELECT * FROM t), (SELECT * FROM t)')).toEqual(read('t'))
    // A CTE name shadows only the unqualified name.
    expect(pg('WITH users AS (SELECT 1) SELECT * FROM users, app.users')).toEqual(read('app.users'))
  })

  it('treats a data-modifying CTE as a write', () => {
    expect(pg('WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('t'),
    })
    expect(pg('WITH u AS (UPDATE t SET a = 1 FROM s WHERE s.id = t.id RETURNING t.*) SELECT * FROM u')).toEqual({
      kind: 'write',
      reads: reads('s'),
      writes: writes('t'),
    })
  })

  it('resolves schema-qualified and quoted names per dialect', () => {
    expect(pg('SELECT * FROM app.Users JOIN "App"."Users" ON true JOIN "we""ird" ON true')).toEqual(
      read('app.users', 'App.Users', 'we"ird'),
    )
    expect(pg('SELECT * FROM Users u JOIN USERS v ON true')).toEqual(read('users'))
    expect(my('SELECT * FROM `db`.`users` JOIN Users ON true JOIN `my``table` ON true')).toEqual(
      read('db.users', 'Users', 'my`table'),
    )
    expect(pg('SELECT * FROM cat.app.users')).toEqual(read('app.users'))
  })

  it('does not read functions, unnest, generate_series or VALUES as tables', () => {
    expect(pg('SELECT * FROM unnest($1::int[]) AS u(id) JOIN users ON users.id = u.id')).toEqual(read('users'))
    expect(pg('SELECT * FROM generate_series(1, 10) g, users')).toEqual(read('users'))
    expect(pg('SELECT * FROM (VALUES (1, 2), (3, 4)) v(a, b) JOIN users ON true')).toEqual(read('users'))
    expect(pg('SELECT * FROM unnest($1) WITH ORDINALITY AS x(v, n), users')).toEqual(read('users'))
    expect(
      pg('SELECT extract(year FROM created_at), substring(name FROM 1 FOR 2), trim(both FROM s) FROM users'),
    ).toEqual(read('users'))
    expect(pg("SELECT now(), nextval('s'), my_func()")).toEqual(read())
    expect(pg('SELECT CAST(x AS timestamp with time zone) FROM users')).toEqual(read('users'))
  })

  it('reads SELECT ... FOR UPDATE without writing', () => {
    expect(pg('SELECT * FROM "User" WHERE id = $1 FOR UPDATE')).toEqual(read('User'))
    expect(pg('SELECT * FROM a FOR NO KEY UPDATE OF a SKIP LOCKED')).toEqual(read('a'))
    expect(pg('SELECT * FROM a FOR UPDATE NOWAIT')).toEqual(read('a'))
  })

  it('reads a typical TypeORM SELECT', () => {
    const sql =
      'SELECT "User"."id" AS "User_id", "User"."email" AS "User_email", "posts"."id" AS "posts_id" FROM "user" "User" ' +
      'LEFT JOIN "post" "posts" ON "posts"."authorId"="User"."id" INNER JOIN "profile" "profile" ON "profile"."id"="User"."profileId" ' +
      'LEFT JOIN "app"."tag" "tags" ON "tags"."postId"="posts"."id" WHERE "User"."id" = $1 ORDER BY "User"."id" ASC LIMIT 10'
    expect(pg(sql)).toEqual(read('user', 'post', 'profile', 'app.tag'))
  })

  it('ignores SQL inside strings, comments and dollar quotes', () => {
    expect(pg("SELECT 'DELETE FROM x' AS s -- DROP TABLE y\n/* INSERT INTO z */")).toEqual(read())
    expect(pg('SELECT $$ DELETE FROM x $$, $t$ UPDATE y SET a = 1 $t$')).toEqual(read())
    expect(pg("SELECT E'\\' DELETE FROM x' FROM users")).toEqual(read('users'))
    expect(my("SELECT 'it\\'s DELETE FROM x', \"DROP TABLE y\" FROM users # DELETE FROM z")).toEqual(read('users'))
    expect(my('SELECT 1 /* a /* */ FROM users')).toEqual(read('users'))
  })
})

describe('sqlTables() INSERT, UPDATE, DELETE, MERGE', () => {
  it('writes the target of INSERT and reads the source of INSERT ... SELECT', () => {
    expect(pg('INSERT INTO "User" ("email") VALUES ($1) RETURNING id')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('User'),
    })
    expect(pg('INSERT INTO archive (id) SELECT id FROM posts p JOIN users u ON u.id = p.author')).toEqual({
      kind: 'write',
      reads: reads('posts', 'users'),
      writes: writes('archive'),
    })
    expect(
      pg(
        'INSERT INTO "Tag" AS t (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name, n = t.n + 1',
      ),
    ).toEqual({ kind: 'write', reads: [], writes: writes('Tag') })
    expect(pg('INSERT INTO tag (name) VALUES ($1) ON CONFLICT DO NOTHING')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('tag'),
    })
    expect(pg('INSERT INTO t DEFAULT VALUES')).toEqual({ kind: 'write', reads: [], writes: writes('t') })
  })

  it('handles MySQL INSERT IGNORE, ON DUPLICATE KEY UPDATE and REPLACE', () => {
    expect(my('INSERT IGNORE INTO `users` (email) VALUES (?)')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('users'),
    })
    expect(my('INSERT INTO t (a) SELECT a FROM s ON DUPLICATE KEY UPDATE a = VALUES(a), b = 2')).toEqual({
      kind: 'write',
      reads: reads('s'),
      writes: writes('t'),
    })
    expect(my('REPLACE INTO t (a) VALUES (1)')).toEqual({ kind: 'write', reads: [], writes: writes('t') })
    expect(my('REPLACE LOW_PRIORITY t SET a = 1')).toEqual({ kind: 'write', reads: [], writes: writes('t') })
    expect(my("SELECT REPLACE(name, 'a', 'b'), INSERT(name, 1, 1, 'x') FROM t")).toEqual(read('t'))
  })

  it('writes the UPDATE target and reads UPDATE ... FROM', () => {
    expect(pg('update public."Post" set title = $1 where id = $2')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('public.Post'),
    })
    expect(pg('UPDATE ONLY t AS x SET a = s.a FROM s, r WHERE s.id = x.id AND r.id = (SELECT 1 FROM q)')).toEqual({
      kind: 'write',
      reads: reads('s', 'r', 'q'),
      writes: writes('t'),
    })
  })

  it('writes the tables a MySQL multi-table UPDATE sets, and reads the others', () => {
    expect(my('UPDATE a JOIN b ON a.id = b.a SET a.x = b.y WHERE b.z IN (SELECT z FROM c)')).toEqual({
      kind: 'write',
      reads: reads('c', 'b'),
      writes: writes('a'),
    })
    expect(my('UPDATE LOW_PRIORITY IGNORE a, b SET a.x = b.y, b.n = b.n + 1')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('a', 'b'),
    })
    expect(my('UPDATE `db`.`t` AS x JOIN u ON u.id = x.u SET x.v = CONCAT(u.a, u.b) ORDER BY x.id LIMIT 5')).toEqual({
      kind: 'write',
      reads: reads('u'),
      writes: writes('db.t'),
    })
    expect(my('UPDATE t a JOIN t b ON a.parent = b.id SET a.depth = b.depth + 1')).toEqual({
      kind: 'write',
      reads: reads('t'),
      writes: writes('t'),
    })
    expect(my('UPDATE a JOIN db.b ON true SET db.b.x = 1')).toEqual({
      kind: 'write',
      reads: reads('a'),
      writes: writes('db.b'),
    })
    expect(my('WITH x AS (SELECT * FROM s) UPDATE t JOIN x ON t.id = x.id SET t.v = x.v')).toEqual({
      kind: 'write',
      reads: reads('s'),
      writes: writes('t'),
    })
  })

  it('writes every table of a MySQL multi-table UPDATE when SET does not say which', () => {
    // An unqualified column could belong to either table.
    expect(my('UPDATE a JOIN b ON a.id = b.a SET x = 1')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('a', 'b'),
    })
    // CASE ... WHEN inside an assignment does not end the SET list.
    expect(my('UPDATE a JOIN b ON true SET a.x = CASE WHEN b.y THEN 1 END, b.z = 2')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('a', 'b'),
    })
    expect(my('UPDATE a JOIN b ON true SET zz.x = 1')).toEqual({ kind: 'write', reads: [], writes: writes('a', 'b') })
    expect(my('UPDATE a JOIN b ON true')).toEqual({ kind: 'write', reads: [], writes: writes('a', 'b') })
  })

  it('writes the DELETE target and reads DELETE ... USING', () => {
    expect(pg('DELETE FROM ONLY comments WHERE id = 1')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('comments'),
    })
    expect(pg('DELETE FROM t USING s, r WHERE t.id = s.id')).toEqual({
      kind: 'write',
      reads: reads('s', 'r'),
      writes: writes('t'),
    })
    expect(my('DELETE FROM a USING a JOIN b ON a.id = b.id')).toEqual({
      kind: 'write',
      reads: reads('a', 'b'),
      writes: writes('a'),
    })
    expect(my('DELETE FROM a, b USING a JOIN b ON a.id = b.id')).toEqual({
      kind: 'write',
      reads: reads('a', 'b'),
      writes: writes('a', 'b'),
    })
    expect(my('DELETE a, b FROM a JOIN b ON a.id = b.id WHERE a.x = 1')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('a', 'b'),
    })
    expect(my('DELETE t1 FROM t1 LEFT JOIN t2 ON t1.id = t2.id WHERE t2.id IS NULL')).toEqual({
      kind: 'write',
      reads: reads('t2'),
      writes: writes('t1'),
    })
    expect(my('DELETE x.* FROM db.t1 AS x JOIN t2 y ON x.id = y.id')).toEqual({
      kind: 'write',
      reads: reads('t2'),
      writes: writes('db.t1'),
    })
    // A target naming no listed table or alias: every table, conservatively.
    expect(my('DELETE zz FROM a JOIN b ON true')).toEqual({ kind: 'write', reads: [], writes: writes('a', 'b') })
    expect(my('DELETE LOW_PRIORITY QUICK IGNORE FROM t WHERE a = 1')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('t'),
    })
  })

  it('writes the MERGE target and reads its source', () => {
    expect(pg('MERGE INTO "Tag" t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE')).toEqual({
      kind: 'write',
      reads: reads('src'),
      writes: writes('Tag'),
    })
    expect(
      pg(
        'MERGE INTO t USING (SELECT * FROM s JOIN r ON true) x ON t.id = x.id WHEN MATCHED THEN UPDATE SET a = x.a WHEN NOT MATCHED THEN INSERT (id, a) VALUES (x.id, x.a)',
      ),
    ).toEqual({ kind: 'write', reads: reads('s', 'r'), writes: writes('t') })
  })

  it('lists every table of data-modifying CTEs', () => {
    expect(
      pg('WITH moved AS (DELETE FROM "Post" WHERE id = 1 RETURNING *) INSERT INTO archive SELECT * FROM moved'),
    ).toEqual({ kind: 'write', reads: [], writes: writes('Post', 'archive') })
  })

  it('lists a table both read and written in both lists', () => {
    expect(pg('INSERT INTO t SELECT * FROM t WHERE a = 1')).toEqual({
      kind: 'write',
      reads: reads('t'),
      writes: writes('t'),
    })
  })
})

describe('sqlTables() TRUNCATE, COPY, LOAD DATA and DDL', () => {
  it('tells TRUNCATE ... CASCADE from plain TRUNCATE, in every spelling', () => {
    expect(pg('TRUNCATE "User" CASCADE')).toEqual({ kind: 'write', reads: [], writes: writes('User:truncate-cascade') })
    expect(pg('truncate table only "public"."User" restart identity cascade')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('public.User:truncate-cascade'),
    })
    expect(pg('TRUNCATE TABLE "Post", ONLY public."Tag" * RESTART IDENTITY CASCADE')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('Post:truncate-cascade', 'public.Tag:truncate-cascade'),
    })
    expect(pg('TRUNCATE a, b')).toEqual({ kind: 'write', reads: [], writes: writes('a:truncate', 'b:truncate') })
    expect(pg('TRUNCATE "User" CONTINUE IDENTITY RESTRICT; DELETE FROM "Post"')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('User:truncate', 'Post'),
    })
    expect(pg('TRUNCATE "User" /* CASCADE */ -- CASCADE')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('User:truncate'),
    })
  })

  it('keeps the strongest kind of a table written twice', () => {
    expect(pg('TRUNCATE a; INSERT INTO a VALUES (1); TRUNCATE b CASCADE; DELETE FROM b')).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('a', 'b:truncate-cascade'),
    })
  })

  it('writes COPY ... FROM and reads COPY ... TO', () => {
    expect(pg('COPY t (a, b) FROM STDIN WITH (FORMAT csv)')).toEqual({ kind: 'write', reads: [], writes: writes('t') })
    expect(pg('COPY app.t TO STDOUT')).toEqual(read('app.t'))
    expect(pg('COPY (SELECT * FROM a JOIN b ON true) TO STDOUT WITH (FORMAT csv)')).toEqual(read('a', 'b'))
    expect(pg('COPY t')).toMatchObject({ kind: 'unknown' })
  })

  it('writes the table of MySQL LOAD DATA', () => {
    expect(my("LOAD DATA LOCAL INFILE '/tmp/x.csv' REPLACE INTO TABLE `db`.`t` FIELDS TERMINATED BY ','")).toEqual({
      kind: 'write',
      reads: [],
      writes: writes('db.t'),
    })
    expect(pg("LOAD 'auto_explain'")).toEqual(read())
  })

  it('marks ALTER TABLE, DROP TABLE, RENAME TABLE and REFRESH MATERIALIZED VIEW as ddl', () => {
    const ddl = (...names: string[]) => ({ kind: 'write', reads: [], writes: names.map((n) => writes(`${n}:ddl`)[0]) })
    expect(pg('ALTER TABLE IF EXISTS ONLY app.users ADD COLUMN x int REFERENCES other(id)')).toEqual(ddl('app.users'))
    expect(pg('ALTER TABLE app.users RENAME TO people')).toEqual(ddl('app.users', 'app.people'))
    expect(pg('ALTER TABLE users RENAME COLUMN a TO b')).toEqual(ddl('users'))
    expect(pg('ALTER TABLE users SET SCHEMA archive')).toEqual(ddl('users', 'archive.users'))
    expect(my('ALTER TABLE users RENAME people')).toEqual(ddl('users', 'people'))
    expect(pg('DROP TABLE IF EXISTS a, app.b CASCADE')).toEqual(ddl('a', 'app.b'))
    expect(pg('DROP MATERIALIZED VIEW mv')).toEqual(ddl('mv'))
    expect(my('DROP TEMPORARY TABLE IF EXISTS tmp')).toEqual(ddl('tmp'))
    expect(my('RENAME TABLE a TO b, c TO d')).toEqual(ddl('a', 'b', 'c', 'd'))
    expect(pg('REFRESH MATERIALIZED VIEW CONCURRENTLY app.mv WITH DATA')).toEqual(ddl('app.mv'))
  })

  it('treats CREATE, GRANT, session and transaction statements as reads without writes', () => {
    for (const sql of [
      'CREATE TABLE x (id int PRIMARY KEY, y int REFERENCES z(id) ON DELETE CASCADE ON UPDATE CASCADE)',
      'CREATE INDEX ON "User" (email)',
      'CREATE UNIQUE INDEX CONCURRENTLY i ON t (a) WHERE b IS NULL',
      'CREATE TRIGGER tr BEFORE TRUNCATE ON "User" EXECUTE FUNCTION f()',
      'CREATE TRIGGER tr AFTER INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION f()',
      'GRANT TRUNCATE ON "User" TO app',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON t TO app',
      'SET search_path TO x',
      'BEGIN',
      'START TRANSACTION',
      'COMMIT',
      'ROLLBACK TO SAVEPOINT s',
      'SAVEPOINT s',
      'RELEASE SAVEPOINT s',
      'SHOW TABLES',
      'EXPLAIN SELECT * FROM t',
      'EXPLAIN DELETE FROM t',
      'EXPLAIN (FORMAT JSON) UPDATE t SET a = 1',
      'PREPARE p (int) AS DELETE FROM t WHERE id = $1',
      'DEALLOCATE p',
      'VACUUM ANALYZE t',
    ]) {
      expect(pg(sql), sql).toEqual(read())
    }
    expect(pg('CREATE VIEW v AS SELECT * FROM a JOIN b ON true')).toEqual(read('a', 'b'))
    expect(pg('CREATE TEMP TABLE x AS SELECT * FROM a')).toEqual(read('a'))
    expect(my('CREATE TABLE x (id int) SELECT id FROM a')).toEqual(read('a'))
    expect(pg('CREATE OR REPLACE VIEW v WITH (security_barrier) AS SELECT * FROM a')).toEqual(read('a'))
  })

  it('classifies the statement of EXPLAIN ANALYZE, which runs it', () => {
    expect(pg('EXPLAIN ANALYZE DELETE FROM t')).toEqual({ kind: 'write', reads: [], writes: writes('t') })
    expect(pg('EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1 FROM s')).toEqual({
      kind: 'write',
      reads: reads('s'),
      writes: writes('t'),
    })
    expect(pg('EXPLAIN ANALYZE SELECT * FROM t')).toEqual(read('t'))
    expect(pg('EXPLAIN ANALYZE EXECUTE p')).toMatchObject({ kind: 'unknown' })
  })
})

describe('sqlTables() unknown', () => {
  it('returns unknown for CALL, DO, EXECUTE, HANDLER and unrecognised statements', () => {
    for (const sql of [
      'CALL refresh_everything()',
      'DO $$ BEGIN UPDATE x SET y = 1; END $$',
      'EXECUTE p(1)',
      'HANDLER t READ FIRST',
      'FROBNICATE t',
      '"SELECT"',
      'DROP SCHEMA app CASCADE',
      'DROP DATABASE x',
      'DROP OWNED BY app',
    ]) {
      expect(pg(sql).kind, sql).toBe('unknown')
    }
    expect(my('CALL p()').kind).toBe('unknown')
  })

  it('returns unknown when a write verb has no target', () => {
    for (const sql of [
      'DELETE',
      'DELETE FROM',
      'INSERT INTO',
      'INSERT INTO (a) VALUES (1)',
      'UPDATE SET a = 1',
      'MERGE t',
      'TRUNCATE',
      'DROP TABLE',
      'ALTER TABLE',
      'WITH d AS (DELETE FROM) SELECT 1',
      'WITH d AS (UPDATE) SELECT 1',
      'REFRESH MATERIALIZED VIEW',
      'RENAME TABLE a',
    ]) {
      expect(pg(sql).kind, sql).toBe('unknown')
    }
    expect(my('DELETE a FROM').kind).toBe('unknown')
    expect(my('DELETE a').kind).toBe('unknown')
    expect(my('LOAD DATA INFILE "x"').kind).toBe('unknown')
  })

  it('returns unknown for a script with any unknown statement, and the union otherwise', () => {
    expect(pg('SELECT 1; CALL p()')).toMatchObject({ kind: 'unknown' })
    expect(pg('SELECT * FROM a; DELETE FROM b; SELECT * FROM c;')).toEqual({
      kind: 'write',
      reads: reads('a', 'c'),
      writes: writes('b'),
    })
    expect(pg(';;')).toEqual(read())
    expect(pg('')).toEqual(read())
  })

  it('returns unknown for MySQL executable comments', () => {
    expect(my('SELECT 1 /*!50000 , (DELETE FROM t) */').kind).toBe('unknown')
    expect(pg('SELECT 1 /*! DELETE FROM t */').kind).toBe('read')
  })
})

describe('sqlTables() lexing edge cases (ported from rawSqlEffect)', () => {
  it('holds every statement of the rawSqlEffect tests (names now keep their schema)', () => {
    const w = (...names: string[]): SqlTouches => ({ kind: 'write', reads: [], writes: writes(...names) })
    const cases: [string, SqlTouches][] = [
      ['INSERT INTO "User" ("email") VALUES ($1)', w('User')],
      ['update public."Post" set title = $1 where id = $2', w('public.Post')],
      ['DELETE FROM ONLY comments WHERE id = 1', w('comments')],
      ['MERGE INTO "Tag" t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE', { ...w('Tag'), reads: reads('src') }],
      [
        'WITH moved AS (DELETE FROM "Post" WHERE id = 1 RETURNING *) INSERT INTO archive SELECT * FROM moved',
        w('Post', 'archive'),
      ],
      ['SELECT * FROM "User" WHERE id = $1 FOR UPDATE', read('User')],
      ['INSERT INTO "Tag" (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name', w('Tag')],
      [`SELECT 'DELETE FROM "User"' AS s -- UPDATE "Post"\n/* INSERT INTO x */`, read()],
      ['SELECT $tag$ UPDATE "User" SET x = 1 $tag$, $$DELETE FROM y$$', read()],
      ['SET search_path TO x', read()],
      ['CREATE INDEX ON "User" (email)', read()],
      ['TRUNCATE "User" CASCADE', w('User:truncate-cascade')],
      ['truncate table only "public"."User" restart identity cascade', w('public.User:truncate-cascade')],
      [
        'TRUNCATE TABLE "Post", ONLY public."Tag" * RESTART IDENTITY CASCADE',
        w('Post:truncate-cascade', 'public.Tag:truncate-cascade'),
      ],
      ['TRUNCATE a, b', w('a:truncate', 'b:truncate')],
      ['TRUNCATE "User" CONTINUE IDENTITY RESTRICT; DELETE FROM "Post"', w('User:truncate', 'Post')],
      ['TRUNCATE "User" /* CASCADE */ -- CASCADE', w('User:truncate')],
      ['GRANT TRUNCATE ON "User" TO app', read()],
      ['CREATE TRIGGER t BEFORE TRUNCATE ON "User" EXECUTE FUNCTION f()', read()],
      [
        `WITH x AS (SELECT E'it\\'s -- not a comment'), d AS (DELETE FROM "Post" RETURNING 1) SELECT * FROM x, d`,
        w('Post'),
      ],
      ['WITH x AS (SELECT 1 -- why\r), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1', w('Post')],
      ['SELECT 1 -- why\r\nDELETE FROM "Tag"', w('Tag')],
      ['SELECT $q1$ DELETE FROM "Tag" $q1$ AS s', read()],
      ['WITH s AS (SELECT $$ DELETE FROM "Tag" $$), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1', w('Post')],
      [`WITH x AS (SELECT 'C:\\'"p"), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1`, w('Post')],
      ['SELECT 1 /* a /* DELETE FROM x */ UPDATE y SET z = 1 */', read()],
      ['UPDATE "we""ird" SET a = 1', w('we"ird')],
      ['DELETE FROM `my``table`', w('my`table')],
    ]
    for (const [sql, expected] of cases) expect(pg(sql), sql).toEqual(expected)
    for (const sql of ['CALL refresh_everything()', 'DO $$ BEGIN UPDATE x SET y = 1; END $$', 'SELECT 1; CALL p()']) {
      expect(pg(sql).kind, sql).toBe('unknown')
    }
  })

  it('finds a writable CTE DELETE after an E-string with an escaped quote', () => {
    const sql = `WITH x AS (SELECT E'it\\'s -- not a comment'), d AS (DELETE FROM "Post" RETURNING 1) SELECT * FROM x, d`
    expect(pg(sql)).toEqual({ kind: 'write', reads: [], writes: writes('Post') })
  })

  it('ends -- comments at CR as well as LF', () => {
    expect(pg('WITH x AS (SELECT 1 -- why\r), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1')).toMatchObject({
      kind: 'write',
      writes: writes('Post'),
    })
    expect(pg('SELECT 1 -- why\r\nDELETE FROM "Tag"')).toMatchObject({ kind: 'write', writes: writes('Tag') })
  })

  it('skips dollar quotes whose tag holds digits, and finds the DELETE after them', () => {
    expect(pg('SELECT $q1$ DELETE FROM "Tag" $q1$ AS s')).toEqual(read())
    expect(
      pg('WITH s AS (SELECT $$ DELETE FROM "Tag" $$), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1'),
    ).toMatchObject({
      kind: 'write',
      writes: writes('Post'),
    })
  })

  it('reads standard strings as PostgreSQL does: a backslash does not escape the quote', () => {
    expect(pg(`WITH x AS (SELECT 'C:\\'"p"), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1`)).toMatchObject({
      kind: 'write',
      writes: writes('Post'),
    })
  })

  it('skips nested block comments in PostgreSQL and unquotes doubled quotes', () => {
    expect(pg('SELECT 1 /* a /* DELETE FROM x */ UPDATE y SET z = 1 */')).toEqual(read())
    expect(pg('UPDATE "we""ird" SET a = 1')).toMatchObject({ writes: writes('we"ird') })
    expect(pg('DELETE FROM `my``table`')).toMatchObject({ writes: writes('my`table') })
  })

  it('reads a MySQL "..." where a table name must be as an identifier (ANSI_QUOTES)', () => {
    expect(my('SELECT "a" FROM "users" JOIN "db"."posts" ON true')).toEqual(read('users', 'db.posts'))
    expect(my('INSERT INTO "t" VALUES (1)')).toEqual({ kind: 'write', reads: [], writes: writes('t') })
  })

  it('reads MySQL text as MySQL does', () => {
    // MySQL block comments do not nest: the DELETE runs.
    expect(my('SELECT 1 /* a /* */; DELETE FROM x')).toMatchObject({ kind: 'write', writes: writes('x') })
    // `1--1` is arithmetic in MySQL, not a comment.
    expect(my('SELECT 1--1; DELETE FROM x')).toMatchObject({ kind: 'write', writes: writes('x') })
    // A backslash escapes the quote, so the string goes on.
    expect(my("SELECT 'a\\'; DELETE FROM x; '")).toEqual(read())
    expect(my('SELECT "a\\"; DELETE FROM x; "')).toEqual(read())
  })
})

describe('sqlTables() documentation', () => {
  it('returns what the JSDoc example says', () => {
    expect(
      sqlTables(
        'WITH d AS (DELETE FROM app.carts WHERE id = $1 RETURNING *) INSERT INTO "Log" SELECT * FROM d JOIN users u ON u.id = d.user_id',
      ),
    ).toEqual({
      kind: 'write',
      reads: [{ schema: undefined, name: 'users' }],
      writes: [
        { table: { schema: 'app', name: 'carts' }, kind: 'rows' },
        { table: { schema: undefined, name: 'Log' }, kind: 'rows' },
      ],
    })
  })

  it('does not read DUAL (MySQL) or ROWS FROM as tables, and does not see CASCADE drops of other objects as reads', () => {
    expect(my('SELECT 1 FROM DUAL')).toEqual(read())
    expect(pg('SELECT * FROM ROWS FROM (f(), g()) AS x(a, b), users')).toEqual(read('users'))
    expect(pg('DROP TYPE mood CASCADE').kind).toBe('unknown')
    expect(pg('DROP INDEX i')).toEqual(read())
  })
})

describe('sqlTables() robustness', () => {
  const corpus = [
    'WITH d AS (DELETE FROM app.t WHERE id = $1 RETURNING *) INSERT INTO "Log" SELECT * FROM d JOIN users u ON u.id = d.a',
    'UPDATE a SET x = (SELECT max(y) FROM b) FROM c WHERE a.id = c.id',
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE',
    'TRUNCATE TABLE a, b CASCADE',
    'DELETE FROM t USING s WHERE t.id = s.id',
    'INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2',
    'ALTER TABLE t ADD COLUMN x int',
    'DROP TABLE IF EXISTS a, b',
    'COPY t FROM STDIN',
    'EXPLAIN ANALYZE DELETE FROM t',
  ]

  it('never returns read for a prefix of a write that includes its verb', () => {
    for (const dialect of ['postgres', 'mysql'] as SqlDialect[]) {
      for (const sql of corpus) {
        for (let end = 1; end <= sql.length; end++) {
          if (sql[end] !== undefined && sql[end] !== ' ') continue
          const prefix = sql.slice(0, end)
          const verb = /\b(DELETE|UPDATE|INSERT|MERGE|TRUNCATE|ALTER|DROP|COPY)\b/.exec(prefix)
          const result = scanTables(prefix, dialect)
          if (verb !== null && !(prefix.startsWith('COPY') && !prefix.includes('FROM')))
            expect(result.kind, `${dialect}: ${prefix}`).not.toBe('read')
        }
      }
    }
  })

  // A property run over many inputs: on a loaded machine it can take longer than vitest's 5 s default.
  it('never throws on random bytes or truncated statements', () => {
    let seed = 42
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    const alphabet = `abcSELECTFROMDELETEUPDATEINSERTWITH()"'\`$;,.*-/#\\ \n\r\t\u0000é0123456789=:?@[]E`
    for (let i = 0; i < 3000; i++) {
      let sql = ''
      const length = Math.floor(random() * 80)
      for (let j = 0; j < length; j++) {
        sql +=
          random() < 0.2
            ? String.fromCharCode(Math.floor(random() * 0xffff))
            : alphabet[Math.floor(random() * alphabet.length)]
      }
      for (const dialect of ['postgres', 'mysql'] as SqlDialect[]) {
        const result = scanTables(sql, dialect)
        expect(['read', 'write', 'unknown']).toContain(result.kind)
        if (result.kind === 'read') expect(result.writes).toEqual([])
      }
    }
    for (const sql of corpus) {
      for (let end = 0; end <= sql.length; end++) {
        expect(() => scanTables(sql.slice(0, end), 'postgres')).not.toThrow()
        expect(() => scanTables(sql.slice(end), 'mysql')).not.toThrow()
      }
    }
  }, 60_000)

  it('returns frozen results from the memo', () => {
    const sql = 'SELECT * FROM memo_a JOIN memo_b ON true'
    const first = pg(sql)
    expect(pg(sql)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(() => (first.reads as unknown[]).push(1)).toThrow()
    expect(() => {
      ;(first.reads[0] as { name: string }).name = 'x'
    }).toThrow()
    expect(pg(sql).reads).toEqual(reads('memo_a', 'memo_b'))
    // Dialects are remembered apart.
    expect(my('SELECT * FROM MemoUsers')).toEqual(read('MemoUsers'))
    expect(pg('SELECT * FROM MemoUsers')).toEqual(read('memousers'))
  })

  it('does not remember texts over 8 KB', () => {
    const sql = `SELECT * FROM big_t WHERE a IN (${'1, '.repeat(3000)}1)`
    const first = pg(sql)
    expect(first).toEqual(read('big_t'))
    expect(pg(sql)).not.toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('returns unknown for a non-string', () => {
    expect(sqlTables(undefined as unknown as string).kind).toBe('unknown')
  })
})
