#!/usr/bin/env python3
"""Cluster test 4: forwarding and redirect (spec §3.9, §4.1). On a follower, writes and reads at
weak/linearizable/strong (and auto on a voter) are answered with the leader's answer and
X-Rqlite-Served-By = the leader's Raft address; with ?redirect they get 301 with Location
http://<leader http addr><path>?<raw query> and nothing is executed; level=none is served
locally (X-Rqlite-Served-By = the follower's own HTTP address)."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SELECT = "SELECT * FROM foo ORDER BY id"


class Forwarding(harness.ClusterCase):
    @classmethod
    def build(cls, cluster):
        cls.leader, cls.followers = harness.start_three(cluster)
        r = cls.leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)"])
        assert r.text == '{"results":[{}]}', r

    def count(self):
        return harness.rows(self.leader.query(["SELECT COUNT(*) FROM foo"], level="strong"))[0][0]

    def test_write_on_a_follower_is_forwarded_to_the_leader(self):
        follower = self.followers[0]
        before = self.count()
        r = follower.execute(['INSERT INTO foo(name) VALUES("forwarded")'])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"results": [{"last_insert_id": before + 1,
                                                 "rows_affected": 1}]})
        self.assertEqual(r.header("X-Rqlite-Served-By"), self.leader.raft_addr)
        self.assertEqual(self.count(), before + 1)

    def test_reads_on_a_follower_at_leader_levels_are_forwarded(self):
        self.leader.execute(['INSERT INTO foo(name) VALUES("read-me")'])
        for follower in self.followers:
            for level in ["weak", "linearizable", "strong", "auto"]:
                with self.subTest(follower=follower.id, level=level):
                    mine = self.leader.query([SELECT], level=level)
                    self.assertEqual(mine.status, 200, mine)
                    self.assertEqual(mine.header("X-Rqlite-Served-By"), self.leader.http_addr)
                    r = follower.query([SELECT], level=level)
                    self.assertEqual((r.status, r.text), (200, mine.text))
                    self.assertEqual(r.header("X-Rqlite-Served-By"), self.leader.raft_addr)

    def test_redirect_on_a_follower_answers_301_with_the_leader_url(self):
        follower = self.followers[1]
        before = self.count()
        body = '["INSERT INTO foo(name) VALUES(\\"redirected\\")"]'
        sql = urllib.parse.quote("SELECT * FROM foo WHERE name='x y'")
        cases = [
            ("POST", "/db/execute", "redirect", body),
            ("POST", "/db/execute", "timings&redirect&pretty", body),
            ("POST", "/db/query", "level=strong&redirect", f'["{SELECT}"]'),
            ("POST", "/db/query", "redirect&level=linearizable", f'["{SELECT}"]'),
            ("GET", "/db/query", f"q={sql}&redirect", None),
            ("POST", "/db/request", "redirect", body),
        ]
        for method, path, query, payload in cases:
            with self.subTest(method=method, path=path, query=query):
                r = follower.client.request(method, path + "?" + query, body=payload,
                                            headers={"Content-Type": "application/json"})
                self.assertEqual(r.status, 301, r)
                self.assertEqual(r.header("Location"),
                                 f"http://{self.leader.http_addr}{path}?{query}")
        self.assertEqual(self.count(), before, "a redirected write must not be executed")

    def test_following_the_redirect_reaches_the_leader(self):
        follower = self.followers[0]
        before = self.count()
        r = follower.client.request("POST", "/db/execute?redirect",
                                    body=['INSERT INTO foo(name) VALUES("followed")'],
                                    follow_redirects=1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"results": [{"last_insert_id": before + 1,
                                                 "rows_affected": 1}]})
        self.assertEqual(r.header("X-Rqlite-Served-By"), self.leader.http_addr)
        self.assertEqual(self.count(), before + 1)

    def test_redirect_on_the_leader_executes_locally(self):
        r = self.leader.execute(['INSERT INTO foo(name) VALUES("on-leader")'], params="redirect")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("X-Rqlite-Served-By"), self.leader.http_addr)

    def test_level_none_on_a_follower_reads_locally(self):
        self.leader.execute(['INSERT INTO foo(name) VALUES("local")'])
        expected = harness.rows(self.leader.query([SELECT], level="strong"))
        for follower in self.followers:
            with self.subTest(follower=follower.id):
                harness.wait_rows(follower, SELECT, expected, timeout=3.0)
                r = follower.query([SELECT], level="none")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("X-Rqlite-Served-By"), follower.http_addr)
                r = follower.query([SELECT], level="none", params="redirect")
                self.assertEqual(r.status, 200, "level=none with redirect is still local")


if __name__ == "__main__":
    harness.main()
