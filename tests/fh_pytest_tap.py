"""fh_pytest_tap.py — a pytest plugin that reports in TAP, so that meson
counts each pytest test as farmhand's other suites' subtests are counted
(`-p fh_pytest_tap -p no:terminal`).  A test is one line, written after
its teardown: ok, ok with SKIP, or not ok with pytest's own report of
whichever phase failed as TAP comments."""
_state = {"n": 0, "reports": {}}


def pytest_collection_finish(session):
    print("1..%d" % len(session.items), flush=True)


def pytest_runtest_logreport(report):
    reports = _state["reports"].setdefault(report.nodeid, [])
    reports.append(report)
    if report.when != "teardown":
        return
    del _state["reports"][report.nodeid]
    _state["n"] += 1
    name = report.nodeid.split("::")[-1]
    failed = [r for r in reports if r.failed]
    skipped = [r for r in reports if r.skipped]
    if failed:
        print("not ok %d - %s" % (_state["n"], name), flush=True)
        for r in failed:
            for line in ("[%s] %s" % (r.when, r.longrepr)).splitlines():
                print("# " + line, flush=True)
    elif skipped:
        longrepr = skipped[0].longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        print("ok %d - %s # SKIP %s" % (_state["n"], name, reason), flush=True)
    else:
        print("ok %d - %s" % (_state["n"], name), flush=True)


def pytest_internalerror(excrepr):
    for line in str(excrepr).splitlines():
        print("# " + line, flush=True)
