#!/usr/bin/env python3
"""Concurrent reads with transaction statements, PRAGMA, errors and ?transaction against a node.

Usage: python3 shared_read_check.py PORT   (a scratch node: it creates and fills table t)
Each request is sent once alone for its expected answer, then 16 clients send 1,500 random ones
each; every answer must be byte-identical to the one given alone (readers that share one read
transaction across a batch must not change any answer). Prints the mismatch count."""
import http.client, json, sys, threading, random
port = int(sys.argv[1])
def q(conn, body, params=""):
    conn.request("POST", "/db/query" + params, body=json.dumps(body), headers={"Content-Type": "application/json"})
    r = conn.getresponse(); return r.status, r.read()
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("POST", "/db/execute", body=json.dumps(["CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)", "INSERT OR REPLACE INTO t VALUES(1,'a'),(2,'b'),(3,'c')"]), headers={"Content-Type": "application/json"}); c.getresponse().read()
cases = [
  (["SELECT * FROM t WHERE id=1"], ""),
  (["SELECT * FROM t WHERE id=2"], "?level=none"),
  (["BEGIN", "SELECT v FROM t WHERE id=3", "COMMIT"], ""),
  (["BEGIN; SELECT count(*) FROM t; COMMIT"], ""),
  (["SELECT * FROM nosuch"], ""),
  (["SELECT * FROM t ORDER BY id"], "?transaction"),
  (["PRAGMA foreign_keys"], ""),
  (["SAVEPOINT x", "SELECT 1", "RELEASE x"], ""),
  (["END"], ""),
  (["ROLLBACK"], ""),
  (["SELECT 1", "SELECT * FROM t WHERE id=?"], ""),
  ([["SELECT * FROM t WHERE id=?", 2]], ""),
  (["INSERT INTO t VALUES(9,'z')"], ""),
  (["WITH x AS (SELECT 1 AS a) SELECT a FROM x"], ""),
]
expected = [q(c, b, p) for b, p in cases]
for (b, p), e in zip(cases, expected): print(e[0], e[1][:150])
bad = 0; lock = threading.Lock(); total = [0]
def worker(seed):
    global bad
    rnd = random.Random(seed); conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(1500):
        i = rnd.randrange(len(cases)); got = q(conn, *cases[i])
        with lock:
            total[0] += 1
            if got != expected[i]:
                bad += 1
                if bad < 5: print("MISMATCH", cases[i], got, expected[i])
ts = [threading.Thread(target=worker, args=(s,)) for s in range(16)]
[t.start() for t in ts]; [t.join() for t in ts]
print("requests", total[0], "mismatches", bad)
