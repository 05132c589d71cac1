"""Runs every tests/http/test_*.py: each module gets one fresh server
(module-level `SERVER_CONFIG` dict for its configuration), each function
test_*(srv) is one test. Prints "ok NAME" or "FAIL NAME" with the trace, and
ends with "N passed, N failed". Exit status 1 if anything failed.
Usage: run.py [substring]   — only tests whose name contains it.
"""
import importlib.util
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    passed = failed = 0
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(HERE, fn))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests = [(n, getattr(mod, n)) for n in dir(mod) if n.startswith("test_") and callable(getattr(mod, n))]
        tests = [(n, f) for n, f in tests if only in fn[:-3] + "." + n]
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        if not tests:
            continue
        try:
            srv = harness.Server(**getattr(mod, "SERVER_CONFIG", {}))
        except Exception:
            print("FAIL %s: server did not start\n%s" % (fn, traceback.format_exc()))
            failed += len(tests)
            continue
        try:
            for name, f in tests:
                full = "%s.%s" % (fn[:-3], name)
                try:
                    f(srv)
                    print("ok " + full)
                    passed += 1
                except Exception:
                    print("FAIL " + full)
                    print(traceback.format_exc())
                    failed += 1
        finally:
            if srv.proc.poll() is not None and srv.proc.returncode not in (0, -15):
                print("FAIL %s: server died with status %s" % (fn, srv.proc.returncode))
                srv.log.seek(0)
                print(srv.log.read()[-3000:])
                failed += 1
            srv.stop()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
