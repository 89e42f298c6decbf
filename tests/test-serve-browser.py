#!/usr/bin/python3
"""test-serve-browser.py BUILD_DIR SOURCE_DIR — the farm UI in real
headless Chromium (DevTools protocol): the form renders the schema's
fields and shows the server's problems beside the field they name; a job
submitted from it turns green in the grid as items end; a failed item
shows its traceback and is retried from the page; a hostile log line and
job name stay text; an item is linkable; the state chips filter.
Screenshots at 1280x800 and at a phone's width are kept in
BUILD_DIR/screenshots.  TAP."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from fh_serve import Events, Server, job_state
from fh_tap import Suite

BUILD = os.path.abspath(sys.argv[1])
SOURCE = os.path.abspath(sys.argv[2])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
SHOTS = os.path.join(BUILD, "screenshots")
TMP = tempfile.mkdtemp(prefix="farmhand-ui-")
SUITE = Suite(8000)
test, marker = SUITE.test, SUITE.marker

try:
    import fh_cdp
    BROWSER = fh_cdp.Browser()
except Exception as e:   # no chromium, no websocket-client: say so
    print("1..0 # SKIP headless Chromium unavailable: %s" % e)
    sys.exit(0)

SERVER = Server(FARMHAND, os.path.join(TMP, "jobs"))
PAGE = BROWSER.page(1280, 800)
STATE = {}


def no_page_errors():
    errors = PAGE.errors()
    assert errors == [], errors


@test
def the_form_renders_the_schema():
    PAGE.navigate(SERVER.url.replace("/?", "/?submit&"))
    assert PAGE.wait_for("document.querySelectorAll('#form-fields .field').length > 10"), "no form"
    # The token left the address bar.
    assert "token" not in PAGE.eval("location.href")
    # The footer says which farmhand serves the page (its Server header).
    version = subprocess.run([FARMHAND, "--version"], stdout=subprocess.PIPE, text=True).stdout.split()[1]
    assert PAGE.wait_for("document.getElementById('footer').textContent === 'farmhand %s'" % version), \
        PAGE.eval("document.getElementById('footer').textContent")
    with open(os.path.join(SOURCE, "schemas", "job.schema.json")) as f:
        schema = json.load(f)
    keys = set(PAGE.eval("[...document.querySelectorAll('#form-fields code.key')].map(e => e.textContent)"))
    for name, prop in schema["properties"].items():
        if name.startswith("$"):
            continue
        assert name in keys, (name, sorted(keys))
    text = PAGE.eval("document.getElementById('form-fields').innerText")
    for title in (schema["properties"]["name"]["title"], schema["properties"]["timeouts"]["properties"]["hello_s"]["title"]):
        assert title in text or title in PAGE.eval("document.getElementById('form-fields').textContent"), title
    assert schema["properties"]["cwd"]["description"][:40] in text
    # Defaults show as placeholders; enums as choices; nested objects fold.
    assert PAGE.eval("[...document.querySelectorAll('#form-fields input')].some(i => i.placeholder === 'default: 120')")
    # The executor's oneOf is a choice: its object variant has the enum.
    assert PAGE.eval("""(() => { const s = %s; s.value = '1'; s.dispatchEvent(new Event('change'));
        return true; })()""" % field_input("executor", "select.variant"))
    assert PAGE.eval("[...document.querySelectorAll('#form-fields select option')].some(o => o.textContent === 'socket')")
    PAGE.eval("""(() => { const s = %s; s.value = '0'; s.dispatchEvent(new Event('change')); })()"""
              % field_input("executor", "select.variant"))
    assert PAGE.eval("document.querySelectorAll('#form-fields details.group').length") >= 2
    PAGE.screenshot(os.path.join(SHOTS, "form-1280x800.png"))
    no_page_errors()


def field_input(key, tag="input"):
    """A selector for the input of the field whose key is @key (the first)."""
    return ("(() => [...document.querySelectorAll('#form-fields .field')].find(f => "
            "f.querySelector(':scope > label code.key')?.textContent === %s)?.querySelector('%s'))()"
            % (json.dumps(key), tag))


def fill(key, value, tag="input"):
    ok = PAGE.eval("""(() => { const e = %s; if (!e) return false; e.value = %s;
        e.dispatchEvent(new Event('input', { bubbles: true })); return true; })()""" % (field_input(key, tag), json.dumps(value)))
    assert ok, "no field %s" % key


@test
def lists_maps_and_choices_build_the_jobs_json():
    # A list of objects (path_map), a map (env), a oneOf switched (retries
    # per failure class): the JSON the form builds, shown as it is built.
    PAGE.eval("(() => [...document.querySelectorAll('#form-fields button.add')]"
              ".find(b => b.textContent === 'Add rule').click())()")
    assert PAGE.wait_for("document.querySelectorAll('#form-fields .list-entry').length === 1")
    fill("from", "/mnt/proj")
    fill("to", "/proj")
    fill("env", "SHOT=sh010\nSEQ=sq01", "textarea")
    PAGE.eval("""(() => { const s = %s; s.value = '1'; s.dispatchEvent(new Event('change', { bubbles: true })); })()"""
              % field_input("retries", "select.variant"))
    fill("license", "3")
    job = json.loads(PAGE.eval("document.getElementById('form-json').textContent"))
    assert job.get("path_map") == [{"from": "/mnt/proj", "to": "/proj"}], job
    assert job.get("env") == {"SHOT": "sh010", "SEQ": "sq01"}, job
    assert job.get("retries") == {"license": 3}, job
    # Back to what the rest of the tests submit.
    PAGE.click("#form-fields .list-entry button.remove")
    fill("env", "", "textarea")
    PAGE.eval("""(() => { const s = %s; s.value = '0'; s.dispatchEvent(new Event('change', { bubbles: true })); })()"""
              % field_input("retries", "select.variant"))
    job = json.loads(PAGE.eval("document.getElementById('form-json').textContent"))
    assert "path_map" not in job and "env" not in job and "retries" not in job, job


@test
def the_servers_problems_show_beside_their_field():
    fill("name", "ui-bad-%s" % marker())
    # The agenda's first variant is a frame range.
    fill("frames", "1-3x")
    fill("command", "true", "textarea")
    PAGE.click("#submit-button")
    assert PAGE.wait_for("document.querySelector('.field.has-error')"), "no problem shown"
    where = PAGE.eval("[...document.querySelectorAll('.field.has-error')].map(f => "
                      "f.querySelector(':scope > label code.key')?.textContent)")
    assert "frames" in where, where
    assert PAGE.eval("document.getElementById('form-errors').textContent.includes('agenda.frames')")
    assert "/jobs/" not in PAGE.eval("location.pathname")
    PAGE.screenshot(os.path.join(SHOTS, "form-errors-1280x800.png"))


@test
def a_job_submitted_from_the_form_turns_green():
    m = marker()
    flag = os.path.join(TMP, "fixed-%s" % m)
    STATE["m"], STATE["flag"] = m, flag
    out = os.path.join(TMP, "out-%s" % m)
    os.makedirs(out)
    STATE["out"] = out
    cmd = ("echo 'frame {frames} %s'; printf '%%0{frames}0d' 0 > %s/f{frames}.exr; echo \"Saved: '%s/f{frames}.exr'\"; "
           "[ {frames} != 2 ] || echo '<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>'; "
           "if [ {frames} = 4 ] && [ ! -e %s ]; then touch %s; echo 'Traceback: no licence %s' >&2; exit 4; fi"
           % (m, out, out, flag, flag, m))
    name = "<b>ui-%s</b>" % m
    fill("name", name)
    fill("frames", "1-8")
    fill("command", cmd, "textarea")
    # A field in a folded group (log), a list of patterns.
    fill("outputs", "^Saved: '(?<path>[^']+)'", "textarea")
    assert PAGE.eval("document.getElementById('form-json').textContent.includes('Saved')"), "no live JSON"
    events = Events(SERVER)
    PAGE.click("#submit-button")
    assert PAGE.wait_for("location.pathname.startsWith('/jobs/')"), "the form did not go to the job"
    job_id = PAGE.eval("decodeURIComponent(location.pathname.slice(6))")
    STATE["id"] = job_id
    assert PAGE.wait_for("document.querySelectorAll('#grid .cell').length === 8"), "no grid"
    assert job_state(events, job_id, {"failed"}, timeout=60), "the job did not end"
    assert PAGE.wait_for("document.querySelectorAll('#grid .cell.s-complete').length === 7 && "
                         "document.querySelectorAll('#grid .cell.s-failed').length === 1"), "the grid did not turn"
    # The name is text, not markup.
    assert PAGE.eval("document.getElementById('job-name').textContent") == name
    assert PAGE.eval("document.querySelector('#job-name b')") is None
    PAGE.screenshot(os.path.join(SHOTS, "job-1280x800.png"))
    events.close()
    no_page_errors()


@test
def a_failed_item_shows_its_traceback():
    PAGE.click('#grid .cell.s-failed')
    assert PAGE.wait_for("document.getElementById('item-traceback').textContent.includes('no licence %s')" % STATE["m"])
    assert "item=4" in PAGE.eval("location.search")
    assert PAGE.eval("document.getElementById('item-facts').textContent.includes('exit_code')")
    assert PAGE.wait_for("document.getElementById('item-log').textContent.includes('frame 4 %s')" % STATE["m"])
    PAGE.screenshot(os.path.join(SHOTS, "failed-item-1280x800.png"))


@test
def an_items_outputs_show_with_their_sizes():
    PAGE.click('#grid .cell[data-index="2"]')
    path = os.path.join(STATE["out"], "f3.exr")
    assert PAGE.wait_for("document.getElementById('item-outputs').textContent.includes(%s)" % json.dumps(path))
    # 30 bytes, as printf wrote them.
    assert "30 B" in PAGE.eval("document.getElementById('item-outputs').textContent")


@test
def a_hostile_log_line_stays_text():
    PAGE.click('#grid .cell[data-index="1"]')
    assert PAGE.wait_for("document.getElementById('item-log').textContent.includes('<img src=x onerror')")
    assert PAGE.eval("document.querySelectorAll('#item-log img, #item-log script').length") == 0
    assert PAGE.eval("document.querySelectorAll('body img').length") == 0
    assert PAGE.eval("window.pwned === undefined")


@test
def an_item_is_linkable():
    # Another tab: the token lives in this tab's session only, so a link
    # opened elsewhere carries it once (and the page takes it out).
    other = BROWSER.page(1280, 800)
    other.navigate(SERVER.base + "/jobs/%s?item=4&token=%s" % (STATE["id"], SERVER.token))
    assert other.wait_for("!document.getElementById('item-panel').hidden && "
                          "document.getElementById('item-name').textContent === '4'"), "the link did not open item 4"
    assert "token" not in other.eval("location.href")
    assert other.errors() == [], other.errors()
    # Without it, the page says how to get it rather than failing quietly.
    third = BROWSER.page(1280, 800)
    third.navigate(SERVER.base + "/jobs/%s?item=4" % STATE["id"])
    assert third.wait_for("document.getElementById('notice').textContent.includes('token')"), "no word of the token"


@test
def the_chips_filter_by_state():
    PAGE.click('#chips .chip[data-state="failed"]')
    assert PAGE.eval("document.getElementById('grid').classList.contains('only-failed')")
    assert "state=failed" in PAGE.eval("location.search")
    assert PAGE.eval("document.querySelector('#chips .chip[data-state=\"complete\"]').textContent") == "complete 7"
    PAGE.click('#chips .chip-all')
    assert not PAGE.eval("document.getElementById('grid').classList.contains('only-failed')")


@test
def retry_from_the_page_turns_the_failed_item_green():
    events = Events(SERVER)
    PAGE.click("#retry-button")
    assert job_state(events, STATE["id"], {"complete"}, timeout=60), "the retry did not complete"
    assert PAGE.wait_for("document.querySelectorAll('#grid .cell.s-complete').length === 8"), "not all green"
    events.close()
    PAGE.click('#grid .cell[data-index="3"]')
    assert PAGE.wait_for("document.getElementById('item-attempt').options.length === 2"), "no second attempt"
    no_page_errors()


@test
def the_views_fit_a_narrow_screen():
    PAGE.viewport(390, 844)
    PAGE.navigate(SERVER.base + "/jobs/%s?item=4" % STATE["id"])
    assert PAGE.wait_for("document.querySelectorAll('#grid .cell').length === 8")
    assert PAGE.wait_for("!document.getElementById('item-panel').hidden")
    # Nothing wider than the screen.
    assert PAGE.eval("document.documentElement.scrollWidth") <= 390 + 1, PAGE.eval("document.documentElement.scrollWidth")
    PAGE.screenshot(os.path.join(SHOTS, "job-390x844.png"))
    PAGE.navigate(SERVER.base + "/")
    assert PAGE.wait_for("document.querySelectorAll('#jobs-body tr').length >= 1")
    PAGE.screenshot(os.path.join(SHOTS, "jobs-390x844.png"))
    PAGE.viewport(1280, 800)
    PAGE.navigate(SERVER.base + "/")
    assert PAGE.wait_for("document.querySelectorAll('#jobs-body tr').length >= 1")
    PAGE.screenshot(os.path.join(SHOTS, "jobs-1280x800.png"))
    no_page_errors()


def cleanup():
    BROWSER.close()
    SERVER.stop()
    shutil.rmtree(TMP, ignore_errors=True)


sys.exit(SUITE.main(cleanup))
