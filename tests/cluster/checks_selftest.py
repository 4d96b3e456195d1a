#!/usr/bin/env python3
"""The end-of-run checks of the kill, partition and power-loss tests catch what they exist for:
on a real node whose table was tampered with, check_converged reports a missing acknowledged row
and a row applied twice; classify() sorts answers as workload.py documents."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import workload  # noqa: E402


class Checks(unittest.TestCase):
    def test_check_converged_reports_missing_and_doubled_acknowledged_rows(self):
        with harness.Cluster("checks") as c:
            node = c.start_node(1).wait_ready()
            self.assertEqual(node.execute(workload.CREATE).status, 200)
            recorder = workload.Recorder()
            for v in (1, 2, 3):
                self.assertEqual(node.execute([["INSERT INTO t(v) VALUES(?)", v]]).status, 200)
                recorder.acked_rows.append(v)
            workload.check_converged(c, [node], recorder)

            node.execute(["DELETE FROM t WHERE v=2", "INSERT INTO t(v) VALUES(3)"])
            with self.assertRaises(AssertionError) as caught:
                workload.check_converged(c, [node], recorder)
            message = str(caught.exception)
            self.assertIn("1 acknowledged rows missing, e.g. [2]", message)
            self.assertIn("1 acknowledged rows applied twice, e.g. [3]", message)

    def test_classify_sorts_answers(self):
        def answer(status, body):
            return lambda: harness.Response(status, [], body.encode())

        def refused():
            raise ConnectionRefusedError()

        def timed_out():
            raise TimeoutError()
        cases = [
            (answer(200, '{"results":[{"rows_affected":1}]}'), workload.ACKED),
            (answer(200, '{"results":[],"error":"not leader"}'), workload.UNKNOWN),
            (answer(200, '{"results":[{"error":"database is locked"}]}'), workload.UNKNOWN),
            (answer(503, "leader not found\n"), workload.NOT_APPLIED),
            (answer(500, "leader not found\n"), workload.NOT_APPLIED),
            (answer(503, "something else\n"), workload.UNKNOWN),
            (answer(200, "not json"), workload.UNKNOWN),
            (refused, workload.NOT_SENT),
            (timed_out, workload.UNKNOWN),
        ]
        for send, expected in cases:
            with self.subTest(expected=expected):
                self.assertEqual(workload.classify(send)[0], expected)


if __name__ == "__main__":
    harness.main()
