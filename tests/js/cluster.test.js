// rqlite-js (rqlite's JavaScript client, 2.5.7 from npm) pointed at a FOLLOWER of a 3-node uqlited
// cluster: writes and strong reads work through forwarding (the follower asks the leader) and
// through redirects (?redirect: the follower answers 301 and rqlite-js re-sends to the leader).
// Nodes start with -bootstrap-expect 3 on free loopback ports with fresh data directories and are
// stopped by PID (SIGTERM) at the end. A build that refuses the clustering flags fails, unless
// UQ_CLUSTER_OPTIONAL=1: then every test is skipped and the process exits 77 (ctest
// SKIP_RETURN_CODE). Run it with `node cluster.test.js`.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { DataApiClient } = require('rqlite-js');

const UNSUPPORTED = 'is not supported by this build of uqlited yet';
const nodes = [];
let rootDir;
let skipReason = null;
let failed = false;
let leader;
let follower;

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Wraps a test body: skipped while the cluster feature is missing; a failure is remembered so
// that `after` prints every node's log tail.
function clusterTest(name, body) {
  test(name, async (t) => {
    if (skipReason) {
      t.skip(skipReason);
      return;
    }
    try {
      await body();
    } catch (e) {
      failed = true;
      throw e;
    }
  });
}

function logOf(node) {
  try {
    return fs.readFileSync(node.logPath, 'utf8');
  } catch (_) {
    return '';
  }
}

async function statusOf(node) {
  const response = await fetch(`${node.url}/status`, { signal: AbortSignal.timeout(2000) });
  return (await response.json()).store;
}

// Bounded wait until all three nodes name the same leader; throws with the last answers.
async function waitForLeader(deadlineMs) {
  let last = '';
  while (Date.now() < deadlineMs) {
    const exited = nodes.find((n) => n.proc.exitCode !== null);
    if (exited) {
      const log = logOf(exited);
      if (log.includes(UNSUPPORTED) && process.env.UQ_CLUSTER_OPTIONAL === '1') {
        return { skip: log.split('\n').find((l) => l.includes(UNSUPPORTED)) };
      }
      const tail = log.slice(-3000);
      throw new Error(`node ${exited.id} exited with ${exited.proc.exitCode}:\n${tail}`);
    }
    try {
      const stores = await Promise.all(nodes.map(statusOf));
      const ids = new Set(stores.map((s) => s.leader.node_id));
      last = JSON.stringify(stores.map((s) => s.leader));
      if (ids.size === 1 && !ids.has('')) {
        return { leaderId: [...ids][0] };
      }
    } catch (e) {
      last = String(e);
    }
    await sleep(100);
  }
  throw new Error(`no agreed leader within the bound; last: ${last}`);
}

before(async () => {
  try {
    await startCluster();
  } catch (e) {
    failed = true;
    throw e;
  }
});

async function startCluster() {
  const binary = process.env.UQLITED;
  assert.ok(binary, 'set UQLITED to the uqlited binary');
  rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uq-js-cluster-'));
  for (let id = 1; id <= 3; id++) {
    const [httpPort, raftPort] = [await freePort(), await freePort()];
    nodes.push({ id: String(id), httpAddr: `127.0.0.1:${httpPort}`,
      raftAddr: `127.0.0.1:${raftPort}`, url: `http://127.0.0.1:${httpPort}`,
      logPath: path.join(rootDir, `node${id}.log`) });
  }
  const join = nodes.map((n) => n.raftAddr).join(',');
  for (const n of nodes) {
    const log = fs.openSync(n.logPath, 'a');
    n.proc = spawn(binary, ['-node-id', n.id, '-http-addr', n.httpAddr, '-raft-addr', n.raftAddr,
      '-bootstrap-expect', '3', '-join', join, path.join(rootDir, `data${n.id}`)],
    { stdio: ['ignore', log, log] });
    fs.closeSync(log);
  }
  const found = await waitForLeader(Date.now() + 30000);
  if (found.skip) {
    skipReason = `UQ_CLUSTER_OPTIONAL=1 and uqlited says: ${found.skip.trim()}`;
    return;
  }
  leader = nodes.find((n) => n.id === found.leaderId);
  follower = nodes.find((n) => n !== leader);
}

after(async () => {
  for (const n of nodes) {
    if (n.proc && n.proc.exitCode === null) {
      const exited = new Promise((resolve) => n.proc.once('exit', resolve));
      n.proc.kill('SIGTERM');
      const timer = setTimeout(() => n.proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
  }
  if (failed) {
    for (const n of nodes) {
      console.error(`----- tail of node ${n.id} log -----\n${logOf(n).slice(-3000)}`);
    }
  }
  if (process.env.UQ_KEEP !== '1') {
    fs.rmSync(rootDir, { recursive: true, force: true });
  }
  if (skipReason) {
    console.error(`skipped: ${skipReason}`);
    process.exitCode = 77;
  }
});

clusterTest('writes and strong reads through a follower are forwarded to the leader', async () => {
  const client = new DataApiClient(follower.url);
  let results = await client.execute(
    'CREATE TABLE foo (id integer not null primary key, name text)');
  assert.equal(results.hasError(), false);
  results = await client.execute('INSERT INTO foo(name) VALUES("fiona")');
  assert.equal(results.hasError(), false);
  assert.equal(results.get(0).getLastInsertId(), 1);
  assert.equal(results.get(0).getRowsAffected(), 1);
  for (const level of ['strong', 'linearizable', 'weak']) {
    results = await client.query('SELECT id, name FROM foo', { level });
    assert.equal(results.hasError(), false, level);
    assert.deepEqual(results.get(0).toObject(), { id: 1, name: 'fiona' }, level);
  }
  // The follower really forwarded: the answer names the leader's Raft address.
  const raw = await fetch(`${follower.url}/db/query?level=strong`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(['SELECT COUNT(*) FROM foo']) });
  assert.equal(raw.status, 200);
  assert.equal(raw.headers.get('x-rqlite-served-by'), leader.raftAddr);
});

clusterTest('writes and strong reads with ?redirect follow the 301 to the leader', async () => {
  // The follower answers 301 to ?redirect (rather than forwarding)...
  const raw = await fetch(`${follower.url}/db/execute?redirect`, {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(['INSERT INTO foo(name) VALUES("never")']) });
  assert.equal(raw.status, 301);
  assert.equal(raw.headers.get('location'), `${leader.url}/db/execute?redirect`);
  // ...and rqlite-js follows it, re-sending the body to the leader.
  const client = new DataApiClient(follower.url);
  let response = await client.post('/db/execute?redirect',
    'INSERT INTO foo(name) VALUES("declan")');
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { results: [{ last_insert_id: 2, rows_affected: 1 }] });
  response = await client.post('/db/query?redirect', ['SELECT name FROM foo ORDER BY id'],
    { level: 'strong' });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body.results[0].values, [['fiona'], ['declan']]);
});
