// rqlite's JavaScript client (rqlite-js 2.5.7 from npm) driven against the real uqlited binary.
// The binary comes from the UQLITED environment variable; the node is started on free loopback
// ports with a fresh data directory and stopped by PID (SIGTERM) at the end.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { DataApiClient, StatusApiClient } = require('rqlite-js');

let server;
let dataDir;
let baseUrl;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitReady(url, deadlineMs) {
  while (Date.now() < deadlineMs) {
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) return;
    } catch (_) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('uqlited did not become ready within 20 s');
}

before(async () => {
  const binary = process.env.UQLITED;
  assert.ok(binary, 'set UQLITED to the uqlited binary');
  const [httpPort, raftPort] = [await freePort(), await freePort()];
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uq-js-'));
  server = spawn(binary, ['-node-id', '1', '-http-addr', `127.0.0.1:${httpPort}`,
    '-raft-addr', `127.0.0.1:${raftPort}`, path.join(dataDir, 'data')], { stdio: 'inherit' });
  baseUrl = `http://127.0.0.1:${httpPort}`;
  await waitReady(baseUrl, Date.now() + 20000);
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, 'uqlited exits 0 after SIGTERM');
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('execute creates a table and inserts rows', async () => {
  const client = new DataApiClient(baseUrl);
  let results = await client.execute('CREATE TABLE foo (id integer not null primary key, name text)');
  assert.equal(results.hasError(), false);
  results = await client.execute('INSERT INTO foo(name) VALUES("fiona")');
  assert.equal(results.hasError(), false);
  assert.equal(results.get(0).getLastInsertId(), 1);
  assert.equal(results.get(0).getRowsAffected(), 1);
});

test('query returns rows as objects', async () => {
  const client = new DataApiClient(baseUrl);
  const results = await client.query('SELECT id, name FROM foo WHERE id = 1');
  assert.equal(results.hasError(), false);
  assert.deepEqual(results.get(0).toObject(), { id: 1, name: 'fiona' });
});

test('parameterised statements bind positional and named values', async () => {
  const client = new DataApiClient(baseUrl);
  let results = await client.execute([
    ['INSERT INTO foo(name) VALUES(?)', 'declan'],
    ['INSERT INTO foo(id, name) VALUES(:id, :name)', { id: 10, name: 'siobhan' }],
  ]);
  assert.equal(results.hasError(), false);
  assert.equal(results.get(0).getLastInsertId(), 2);
  assert.equal(results.get(1).getLastInsertId(), 10);
  results = await client.query([['SELECT name FROM foo WHERE id = ?', 10]]);
  assert.equal(results.get(0).get('name'), 'siobhan');
});

test('a transaction stops at the first error and commits nothing', async () => {
  const client = new DataApiClient(baseUrl);
  const results = await client.execute([
    'INSERT INTO foo(id, name) VALUES(20, "a")',
    'INSERT INTO foo(id, name) VALUES(1, "duplicate")',
    'INSERT INTO foo(id, name) VALUES(21, "b")',
  ], { transaction: true });
  assert.equal(results.hasError(), true);
  assert.equal(results.getFirstError().message, 'UNIQUE constraint failed: foo.id');
  const count = await client.query('SELECT COUNT(*) AS n FROM foo WHERE id IN (20, 21)');
  assert.equal(count.get(0).get('n'), 0);
});

test('SQL errors come back as result errors, not exceptions', async () => {
  const client = new DataApiClient(baseUrl);
  const results = await client.query('SELECT * FROM no_such_table');
  assert.equal(results.hasError(), true);
  assert.equal(results.getFirstError().message, 'no such table: no_such_table');
});

test('every read consistency level answers', async () => {
  const client = new DataApiClient(baseUrl);
  for (const level of ['none', 'weak', 'linearizable', 'strong']) {
    const results = await client.query('SELECT COUNT(*) AS n FROM foo', { level });
    assert.equal(results.hasError(), false, level);
    assert.equal(results.get(0).get('n'), 3, level);
  }
});

test('raw responses carry rqlite-shaped JSON', async () => {
  const client = new DataApiClient(baseUrl);
  const { status, body } = await client.query('SELECT name FROM foo ORDER BY id', { raw: true });
  assert.equal(status, 200);
  assert.deepEqual(body, {
    results: [{ columns: ['name'], types: ['text'], values: [['fiona'], ['declan'], ['siobhan']] }],
  });
});

test('status reports a leader with rqlite field names', async () => {
  const client = new StatusApiClient(baseUrl);
  const { status, body } = await client.status();
  assert.equal(status, 200);
  assert.equal(body.store.raft.state, 'Leader');
  assert.equal(body.store.leader.node_id, '1');
  assert.equal(typeof body.store.raft.applied_index, 'number');
  assert.ok(body.build.version.startsWith('v'));
});
