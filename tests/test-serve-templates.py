#!/usr/bin/python3
"""test-serve-templates.py BUILD_DIR — `farmhand serve --templates DIR`:
the API lists the folder's OpenJD templates and bundles with their forms
and takes {"template", "parameters"}, checking the values with farmhand's
own messages, each naming its parameter; in real headless Chromium every
userInterface control renders (label, groupLabel sections, description,
defaults, a bundle's values), a constraint violation is shown at its field
and nothing is submitted, and a job submitted from a template's form runs
with its steps shown live, a task's parameter values in its item view.
Screenshots in BUILD_DIR/screenshots.  TAP."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fh_serve import Server  # noqa: E402
from fh_tap import Suite, await_true  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
FARMHAND = os.path.join(BUILD, "host", "farmhand")
SHOTS = os.path.join(BUILD, "screenshots")
TMP = tempfile.mkdtemp(prefix="farmhand-templates-")
SUITE = Suite(9900)
test, marker = SUITE.test, SUITE.marker
TEMPLATES = os.path.join(TMP, "templates")
MARK = marker().replace(".", "")

CONTROLS = """specificationVersion: jobtemplate-2023-09
name: Controls
description: Every control of the userInterface.
parameterDefinitions:
- name: Title
  type: STRING
  default: Shot 010
  minLength: 3
  maxLength: 20
  description: The shot's title, in the slate.
  userInterface: {control: LINE_EDIT, label: Shot title, groupLabel: Shot}
- name: Notes
  type: STRING
  default: ""
  userInterface: {control: MULTILINE_EDIT, label: Notes, groupLabel: Shot}
- name: Samples
  type: INT
  default: 64
  minValue: 1
  maxValue: 4096
  userInterface: {control: SPIN_BOX, label: Samples, singleStepDelta: 8, groupLabel: Render}
- name: Scale
  type: FLOAT
  default: 1.0
  minValue: 0.25
  maxValue: 4
  userInterface: {control: SPIN_BOX, decimals: 2, label: Resolution scale, groupLabel: Render}
- name: Engine
  type: STRING
  default: CYCLES
  allowedValues: [CYCLES, EEVEE, WORKBENCH]
  userInterface: {control: DROPDOWN_LIST, label: Engine, groupLabel: Render}
- name: Denoise
  type: STRING
  default: "true"
  allowedValues: ["true", "false"]
  userInterface: {control: CHECK_BOX, label: Denoise, groupLabel: Render}
- name: Secret
  type: STRING
  default: pipeline-only
  userInterface: {control: HIDDEN}
- name: Scene
  type: PATH
  objectType: FILE
  dataFlow: IN
  default: scene.blend
  userInterface:
    control: CHOOSE_INPUT_FILE
    label: Scene file
    fileFilters: [{label: Blender scenes, patterns: ["*.blend"]}]
- name: Movie
  type: PATH
  objectType: FILE
  dataFlow: OUT
  default: out.mp4
  userInterface: {control: CHOOSE_OUTPUT_FILE, label: Movie}
- name: OutDir
  type: PATH
  objectType: DIRECTORY
  default: out
  userInterface: {control: CHOOSE_DIRECTORY, label: Output directory}
steps:
- name: Echo
  script:
    actions:
      onRun: {command: echo, args: ["{{Param.Title}} {{Param.Samples}} {{Param.Engine}} {{Param.Denoise}}"]}
"""

TWO_STEPS = """specificationVersion: jobtemplate-2023-09
name: TwoSteps%(mark)s
parameterDefinitions:
- name: Frames
  type: STRING
  default: "1-6"
  userInterface: {control: LINE_EDIT, label: Frames}
steps:
- name: render
  parameterSpace:
    taskParameterDefinitions:
    - {name: Frame, type: INT, range: "{{Param.Frames}}"}
  script:
    actions:
      onRun: {command: bash, args: ["-c", "sleep 0.3; echo frame {{Task.Param.Frame}}"]}
- name: encode
  dependencies: [{dependsOn: render}]
  script:
    actions:
      onRun: {command: bash, args: ["-c", "echo encode"]}
""" % {"mark": MARK}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


write(os.path.join(TEMPLATES, "controls.yaml"), CONTROLS)
write(os.path.join(TEMPLATES, "twosteps.yaml"), TWO_STEPS)
write(os.path.join(TEMPLATES, "broken.yaml"), "specificationVersion: jobtemplate-2023-09\nname: [\n")
write(os.path.join(TEMPLATES, "shot-bundle", "template.yaml"), CONTROLS)
write(os.path.join(TEMPLATES, "shot-bundle", "parameter_values.yaml"),
      "parameterValues:\n- {name: Samples, value: 256}\n- {name: 'deadline:priority', value: 50}\n")
write(os.path.join(TEMPLATES, "notes.txt"), "not a template")

SERVER = Server(FARMHAND, os.path.join(TMP, "jobs"), "--templates", TEMPLATES)


def jobs_in_root():
    return sorted(d for d in os.listdir(SERVER.root) if not d.startswith("."))


# ---- the API --------------------------------------------------------------------

@test
def the_api_lists_the_templates_with_their_forms():
    status, data, _ = SERVER.get("/api/templates")
    assert status == 200, data
    names = [t["name"] for t in data["templates"]]
    assert names == ["controls", "shot-bundle", "twosteps"], names
    controls = data["templates"][0]
    assert controls["kind"] == "template" and controls["title"] == "Controls", controls
    by_name = {p["name"]: p for p in controls["parameters"]}
    assert by_name["Samples"]["control"] == "SPIN_BOX" and by_name["Samples"]["maxValue"] == "4096", by_name
    assert by_name["Scene"]["fileFilters"][0]["patterns"] == ["*.blend"], by_name["Scene"]
    bundle = data["templates"][1]
    assert bundle["kind"] == "bundle" and bundle["values"] == {"Samples": "256"}, bundle
    assert [b["name"] for b in data["broken"]] == ["broken"] and "broken.yaml:" in data["broken"][0]["error"], data


@test
def the_api_checks_values_and_names_their_parameters():
    before = jobs_in_root()
    status, data, _ = SERVER.post("/api/jobs", {"template": "controls",
                                                "parameters": {"Samples": 5000, "Engine": "OCTANE", "Bogus": 1}})
    assert status == 422, data
    assert {e.get("parameter") for e in data["errors"]} == {"Bogus"}, data
    status, data, _ = SERVER.post("/api/jobs", {"template": "controls",
                                                "parameters": {"Samples": 5000, "Engine": "OCTANE"}})
    assert status == 422, data
    by_param = {e["parameter"]: e["message"] for e in data["errors"]}
    assert "5000 is above the maximum, 4096" in by_param["Samples"], by_param
    assert "OCTANE" in by_param["Engine"], by_param
    status, data, _ = SERVER.post("/api/jobs", {"template": "nosuch", "parameters": {}})
    assert status == 422 and "no job template 'nosuch'" in data["errors"][0]["message"], data
    assert jobs_in_root() == before


@test
def a_server_without_templates_says_so():
    other = Server(FARMHAND, os.path.join(TMP, "jobs-plain"))
    try:
        status, data, _ = other.get("/api/templates")
        assert status == 200 and data["templates"] == [] and data["folder"] is None, data
        status, data, _ = other.post("/api/jobs", {"template": "controls"})
        assert status == 404 and "--templates" in data["error"], data
    finally:
        other.stop()


# ---- the page ----------------------------------------------------------------------

try:
    import fh_cdp
    BROWSER = fh_cdp.Browser()
    PAGE = BROWSER.page(1280, 800)
except Exception as e:   # no chromium, no websocket-client: say so
    BROWSER = PAGE = None
    WHY = "SKIP headless Chromium unavailable: %s" % e


def open_form(name):
    PAGE.navigate(SERVER.url.replace("/?", "/?submit&template=%s&" % name))
    assert PAGE.wait_for("document.querySelectorAll('#template-fields .param').length > 0"), "no form"


def field(name, prop="value"):
    return PAGE.eval("document.querySelector('#template-fields [data-param=%s] [name=%s]').%s"
                     % (json.dumps(name), json.dumps(name), prop))


@test
def every_control_renders():
    if PAGE is None:
        return WHY
    open_form("controls")
    assert PAGE.eval("document.getElementById('template-title').textContent") == "Controls"
    kinds = PAGE.eval("Object.fromEntries([...document.querySelectorAll('#template-fields [name]')]"
                      ".map(e => [e.name, e.tagName + ':' + (e.type || '')]))")
    assert kinds == {"Title": "INPUT:text", "Notes": "TEXTAREA:textarea", "Samples": "INPUT:number",
                     "Scale": "INPUT:number", "Engine": "SELECT:select-one", "Denoise": "INPUT:checkbox",
                     "Secret": "INPUT:text", "Scene": "INPUT:text", "Movie": "INPUT:text",
                     "OutDir": "INPUT:text"}, kinds
    # Defaults filled in; numbers with their step, bounds and decimals.
    assert field("Title") == "Shot 010" and field("Engine") == "CYCLES" and field("Denoise", "checked") is True
    assert field("Samples") == "64" and field("Samples", "step") == "8" and field("Samples", "max") == "4096"
    assert field("Scale") == "1.00" and field("Scale", "step") == "0.01"
    assert PAGE.eval("[...document.querySelectorAll('#template-fields [name=Engine] option')].map(o => o.value)") == \
        ["CYCLES", "EEVEE", "WORKBENCH"]
    # HIDDEN is not shown; labels, sections, help and file filters are.
    assert PAGE.eval("document.querySelector('[data-param=Secret]').hidden") is True
    legends = PAGE.eval("[...document.querySelectorAll('#template-fields legend')].map(e => e.textContent)")
    assert legends == ["Shot", "Render"], legends
    text = PAGE.eval("document.getElementById('template-fields').innerText")
    for words in ("Shot title", "Resolution scale", "The shot's title, in the slate.", "Blender scenes (*.blend)",
                  "Output directory"):
        assert words in text, (words, text)
    # A template's form has its own address; the picker links them all.
    links = PAGE.eval("[...document.querySelectorAll('#template-picker a')].map(a => a.getAttribute('href'))")
    assert "/?submit&template=twosteps" in links and "/?submit" in links, links
    PAGE.screenshot(os.path.join(SHOTS, "template-form-1280x800.png"))
    assert PAGE.errors() == [], PAGE.errors()


@test
def a_bundle_form_starts_from_its_values():
    if PAGE is None:
        return WHY
    open_form("shot-bundle")
    assert field("Samples") == "256", field("Samples")


@test
def a_violation_is_shown_at_its_field_and_nothing_is_sent():
    if PAGE is None:
        return WHY
    open_form("controls")
    before = jobs_in_root()
    PAGE.eval("(() => { const s = document.querySelector('[name=Samples]'); s.value = '9000';"
              " const t = document.querySelector('[name=Title]'); t.value = 'ab'; })()")
    PAGE.click("#template-submit")
    assert PAGE.wait_for("document.querySelectorAll('#template-fields .has-error').length === 2")
    errors = PAGE.eval("Object.fromEntries([...document.querySelectorAll('#template-fields .has-error')]"
                       ".map(f => [f.dataset.param, f.querySelector('.field-error').textContent]))")
    assert "above the maximum, 4096" in errors["Samples"] and "at least 3 characters" in errors["Title"], errors
    assert PAGE.eval("document.activeElement.name") == "Title"
    PAGE.screenshot(os.path.join(SHOTS, "template-form-errors-1280x800.png"))
    assert jobs_in_root() == before
    assert PAGE.eval("location.search").startswith("?submit")


@test
def a_template_job_runs_with_its_steps_live():
    if PAGE is None:
        return WHY
    open_form("twosteps")
    PAGE.click("#template-submit")
    assert PAGE.wait_for("location.pathname.startsWith('/jobs/')"), PAGE.eval("location.href")
    assert PAGE.wait_for("document.querySelectorAll('#steps-body tr').length === 2")
    assert PAGE.wait_for("document.querySelectorAll('.grid-section').length === 2")
    # Live: encode waits for render, then both complete.
    assert PAGE.wait_for("[...document.querySelectorAll('#steps-body tr')].every(r => "
                         "r.querySelector('.state').textContent === 'complete')", 90), \
        PAGE.eval("document.getElementById('steps').innerText")
    headings = PAGE.eval("[...document.querySelectorAll('.grid-section')].map(h => h.innerText)")
    assert headings[0].startswith("render") and "6/6 complete" in headings[0], headings
    assert PAGE.eval("document.querySelector('#steps-body tr:nth-child(2) td:nth-child(3)').textContent") == "render"
    PAGE.click(".cell[data-index='2']")
    assert PAGE.wait_for("!document.getElementById('item-panel').hidden && "
                         "document.getElementById('item-facts').innerText.includes('Frame')")
    facts = PAGE.eval("document.getElementById('item-facts').innerText")
    assert "render" in facts and "Frame\n3" in facts, facts
    assert PAGE.wait_for("document.getElementById('item-log').textContent.includes('frame 3')"), \
        PAGE.eval("document.getElementById('item-log').textContent")
    PAGE.screenshot(os.path.join(SHOTS, "template-job-1280x800.png"))
    assert PAGE.errors() == [], PAGE.errors()


def cleanup():
    if BROWSER is not None:
        BROWSER.close()
    SERVER.stop()
    shutil.rmtree(TMP, ignore_errors=True)


sys.exit(SUITE.main(cleanup))
