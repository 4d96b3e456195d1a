#!/usr/bin/env python3
"""A node that finds its own files damaged refuses to start, with a message naming the file
(issue 6): a flipped byte in the newest snapshot's database copy or in its meta file, and a
flipped byte in a WAL frame that later durable frames follow. Each node is killed (kill -9), so
the next start must rebuild the database from those files rather than reuse it."""
import glob
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EXIT_TIMEOUT = 60


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5A]))


def fill(node, rows):
    r = node.execute(["CREATE TABLE t (id integer primary key, v text)"])
    assert r.status == 200, r
    for i in range(rows):
        r = node.execute([["INSERT INTO t(v) VALUES(?)", "x" * 200 + str(i)]])
        assert r.status == 200, r


class Damage(unittest.TestCase):
    def expect_refusal(self, node, names):
        """Starts `node` and expects it to exit non-zero on its own, its log naming `names`."""
        before = len(node.log_text())
        node.start()
        try:
            code = node.proc.wait(EXIT_TIMEOUT)
        except Exception:  # still running: it accepted damaged files
            node.kill()
            self.fail(f"node {node.id} started on damaged files:\n{node.log_tail()}")
        self.assertNotEqual(code, 0)
        log = node.log_text()[before:]
        errors = [line for line in log.splitlines() if "[ERROR]" in line or "fatal" in line.lower()]
        print(f"refused as expected: {errors}", file=sys.stderr)
        for name in names:
            self.assertIn(name, log)

    def snapshot_dir(self, node):
        dirs = [d for d in glob.glob(os.path.join(node.dir, "snapshots", "*-*"))
                if not os.path.basename(d).startswith("tmp")]
        self.assertEqual(len(dirs), 1, dirs)
        return dirs[0]

    def test_damaged_snapshot_copy_or_meta_stops_the_start(self):
        for victim in ("db.sqlite", "meta"):
            with self.subTest(victim=victim), harness.Cluster(f"damage-{victim}") as c:
                n1 = c.start_node(1).wait_ready()
                c.wait_leader([n1])
                fill(n1, 50)
                self.assertEqual(n1.client.post("/snapshot?trailing_logs=0").status, 200)
                n1.kill()
                path = os.path.join(self.snapshot_dir(n1), victim)
                flip_byte(path, os.path.getsize(path) // 2)
                self.expect_refusal(n1, [path])

    def test_damaged_wal_frame_before_durable_frames_stops_the_start(self):
        with harness.Cluster("damage-wal") as c:
            n1 = c.start_node(1).wait_ready()
            c.wait_leader([n1])
            fill(n1, 50)
            n1.kill()
            segments = sorted(glob.glob(os.path.join(n1.dir, "raft", "wal-*.seg")))
            self.assertGreaterEqual(len(segments), 1)
            # Past the segment header and the first frames (the founding configuration), well
            # before the last of the 50 inserts' frames.
            flip_byte(segments[0], 600)
            self.expect_refusal(n1, [segments[0], "offset"])


if __name__ == "__main__":
    harness.main()
