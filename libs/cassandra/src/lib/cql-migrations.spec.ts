import { cqlIdentifier, cqlString, loadMigrations, parseCql } from './cql-migrations';

describe('CQL migrations', () => {
  it('splits statements and drops comments', () => {
    expect(
      parseCql(
        '-- a table\nCREATE TABLE a (x int PRIMARY KEY); -- trailing\n\nCREATE TABLE b (y int PRIMARY KEY);\n',
      ),
    ).toEqual(['CREATE TABLE a (x int PRIMARY KEY)', 'CREATE TABLE b (y int PRIMARY KEY)']);
  });

  it('loads the committed migrations in version order, each only creating or altering', () => {
    const migrations = loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual(
      [...migrations.map((m) => m.version)].sort((a, b) => a - b),
    );
    for (const statement of migrations.flatMap((m) => m.statements)) {
      expect(statement).toMatch(/^(CREATE|ALTER) /);
      expect(statement).toContain('{{keyspace}}.');
    }
  });
});

describe('CQL literals for statements without bind markers', () => {
  it('quotes a name as an identifier and a text as a string, doubling the quote inside', () => {
    expect(cqlIdentifier('sparkflow-superuser')).toBe('"sparkflow-superuser"');
    expect(cqlIdentifier('a"b')).toBe('"a""b"');
    expect(cqlString("it's")).toBe("'it''s'");
  });
});
