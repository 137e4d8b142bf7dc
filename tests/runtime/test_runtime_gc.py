"""RuntimeConfig.gc_thresholds: set while a runtime is open, Python's own thresholds again once the last one closes.

Run in a fresh interpreter: runtimes other tests leave open keep the thresholds of the process raised.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import gc
    from bedrock_batch.offline.local import offline_aws
    from bedrock_batch.offline.runtime import Runtime, RuntimeConfig

    before = gc.get_threshold()
    with offline_aws():
        untouched = Runtime(RuntimeConfig(gc_thresholds=None))
        assert gc.get_threshold() == before
        untouched.close()
        assert gc.get_threshold() == before

        first = Runtime(RuntimeConfig(gc_thresholds=(12_345, 6, 7)))
        assert gc.get_threshold() == (12_345, 6, 7)
        second = Runtime()
        assert gc.get_threshold() == RuntimeConfig().gc_thresholds
        first.close()
        assert gc.get_threshold() == RuntimeConfig().gc_thresholds  # the second one is still open
        second.close()
        second.close()  # closing twice releases once
    assert gc.get_threshold() == before, gc.get_threshold()
    print("ok")
""")


def test_thresholds_last_while_a_runtime_is_open() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
