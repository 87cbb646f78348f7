// The DuckDB peer of `chanrules classify` (bench/duckdb/run.sh): runs classify.sql on an
// export and writes the accepted rows and the rejects, like chanrules does.
//   node run.mjs INPUT.csv OUTPUT.csv REJECTS.csv RULES_DIR THREADS
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [input, output, rejects, rules, threads] = process.argv.slice(2);
if (!threads) {
  console.error('usage: node run.mjs INPUT.csv OUTPUT.csv REJECTS.csv RULES_DIR THREADS');
  process.exit(2);
}
const literal = (s) => `'${s.replaceAll("'", "''")}'`;
const sql = readFileSync(new URL('./classify.sql', import.meta.url), 'utf8')
  .replaceAll('{{INPUT}}', literal(input))
  .replaceAll('{{SAMSUNG_LIST}}', literal(`${rules}/lists/samsung.csv`))
  .replaceAll('{{SE_LIST}}', literal(`${rules}/lists/sony_ericsson.csv`));
const columns = ['customer_id', 'customer_name', 'network', 'market_tier', 'local_rank',
  'gsm_monthly_units', 'se_permission', 'coolpad_coop_months', 'coolpad_continuous_pickup',
  'coolpad_avg_monthly_units', 'segment', 'operator', 'operator_role'];
const classes = ['samsung_class', 'se_class', 'coolpad_class', 'account_group', 'channel_family'];

const started = process.hrtime.bigint();
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const c = await db.connect();
await c.run(sql);
await c.run(`COPY (SELECT ${[...columns, ...classes].join(', ')} FROM checked
                   WHERE reject IS NULL ORDER BY rn)
             TO ${literal(output)} (HEADER, DELIMITER ',')`);
await c.run(`COPY (SELECT line, reject[1] AS "column", reject[2] AS reason,
                          concat_ws(',', ${columns.map((n) => `coalesce(${n}, '')`).join(', ')}) AS record
                   FROM checked WHERE reject IS NOT NULL ORDER BY rn)
             TO ${literal(rejects)} (HEADER, DELIMITER ',')`);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ seconds }));
