// template-form.js — the submission form of an OpenJD job template (or job
// bundle), made from its parameterDefinitions as the server describes them
// (GET /api/templates): each parameter's userInterface control, its label,
// its groupLabel as a section, its description as help, its default (a
// bundle's own value first) filled in, its constraints checked here before
// anything is sent.  The server checks the values again and its problems,
// named by parameter, land at their fields.
import { el } from '/static/form.js';

let counter = 0;
const nextId = () => `t${++counter}`;

// The value a CHECK_BOX stands for when ticked: the pair's true-like one.
const TRUE_LIKE = ['true', 'yes', 'on', '1'];

function boxValues(def) {
  const allowed = def.allowedValues || ['true', 'false'];
  const on = allowed.find((v) => TRUE_LIKE.includes(String(v).toLowerCase())) ?? allowed[0];
  const off = allowed.find((v) => v !== on) ?? '';
  return { on, off };
}

function filterText(f) {
  return `${f.label || ''} (${(f.patterns || []).join(' ')})`.trim();
}

// One parameter's field: its control, and what it checks.
class ParamField {
  constructor(def, start) {
    this.def = def;
    this.id = nextId();
    this.control = def.control;
    this.wrap = el('div', { class: `field param param-${def.control.toLowerCase()}`, dataset: { param: def.name } });
    this.errors = el('div', { class: 'field-error', role: 'alert' });
    const label = el('label', { for: this.id, text: def.label || def.name });
    if (start === undefined) label.append(el('span', { class: 'required', title: 'required', text: ' *' }));
    label.append(el('code', { class: 'key', text: def.name }));
    this.input = this.makeInput(start);
    this.wrap.append(label, el('div', { class: 'field-body' }, this.input));
    const help = [def.description, this.filterHelp()].filter(Boolean).join(' ');
    if (help) this.wrap.append(el('small', { class: 'help', text: help }));
    this.wrap.append(this.errors);
    if (this.control === 'HIDDEN') this.wrap.hidden = true;
  }

  makeInput(start) {
    const d = this.def;
    const common = { id: this.id, name: d.name };
    let input;
    switch (this.control) {
      case 'MULTILINE_EDIT':
        input = el('textarea', { ...common, rows: '4' });
        break;
      case 'DROPDOWN_LIST':
        input = el('select', common);
        for (const v of d.allowedValues || []) input.append(el('option', { value: String(v), text: String(v) }));
        break;
      case 'CHECK_BOX':
        input = el('input', { ...common, type: 'checkbox' });
        input.checked = start !== undefined && String(start) === String(boxValues(d).on);
        return input;
      case 'SPIN_BOX':
        input = el('input', { ...common, type: 'number', step: this.step() });
        if (d.minValue !== undefined) input.min = String(d.minValue);
        if (d.maxValue !== undefined) input.max = String(d.maxValue);
        break;
      default:
        // LINE_EDIT, HIDDEN and the path choosers: a path is typed (the
        // farm's path, which a browser's file dialog could not give).
        input = el('input', { ...common, type: 'text' });
        if (this.control.startsWith('CHOOSE_')) {
          input.placeholder = this.control === 'CHOOSE_DIRECTORY' ? 'a directory on the farm'
            : this.control === 'CHOOSE_OUTPUT_FILE' ? 'a file to write, on the farm' : 'a file on the farm';
          input.classList.add('path');
        }
    }
    if (start !== undefined) input.value = this.control === 'SPIN_BOX' ? this.formatNumber(start) : String(start);
    return input;
  }

  step() {
    const d = this.def;
    if (d.singleStepDelta !== undefined) return String(d.singleStepDelta);
    if (d.type === 'INT') return '1';
    return d.decimals !== undefined ? String(10 ** -d.decimals) : 'any';
  }

  formatNumber(v) {
    const d = this.def;
    return d.type === 'FLOAT' && d.decimals !== undefined && v !== '' && !isNaN(Number(v))
      ? Number(v).toFixed(d.decimals) : String(v);
  }

  filterHelp() {
    const d = this.def;
    if (!d.fileFilters && !d.fileFilterDefault) return '';
    const all = (d.fileFilters || []).map(filterText);
    if (d.fileFilterDefault) all.unshift(`${filterText(d.fileFilterDefault)} by default`);
    return `Files: ${all.join('; ')}.`;
  }

  // The value as text, or undefined when left empty.
  value() {
    if (this.control === 'CHECK_BOX') {
      const { on, off } = boxValues(this.def);
      return String(this.input.checked ? on : off);
    }
    return this.input.value === '' ? undefined : this.input.value;
  }

  // Why the value breaks the definition, or null: the checks the server
  // makes, so that a form that would be refused is not sent.
  problem() {
    const d = this.def;
    const v = this.value();
    if (v === undefined) return d.default === undefined ? 'a value is needed: this parameter has no default' : null;
    if (d.allowedValues && !d.allowedValues.map(String).includes(v)) {
      return `must be one of ${d.allowedValues.join(', ')}`;
    }
    if (d.type === 'INT' && !/^[-+]?\d+$/.test(v.trim())) return `'${v}' is not a whole number`;
    if (d.type === 'FLOAT' && !isFinite(Number(v))) return `'${v}' is not a number`;
    if (d.type === 'INT' || d.type === 'FLOAT') {
      if (d.minValue !== undefined && Number(v) < Number(d.minValue)) return `${v} is below the minimum, ${d.minValue}`;
      if (d.maxValue !== undefined && Number(v) > Number(d.maxValue)) return `${v} is above the maximum, ${d.maxValue}`;
    } else {
      const n = [...v].length;
      if (d.minLength !== undefined && n < d.minLength) return `at least ${d.minLength} characters, not ${n}`;
      if (d.maxLength !== undefined && n > d.maxLength) return `at most ${d.maxLength} characters, not ${n}`;
    }
    return null;
  }

  showError(message) {
    this.errors.append(el('div', { text: message }));
    this.wrap.classList.add('has-error');
  }

  clearErrors() {
    this.errors.replaceChildren();
    this.wrap.classList.remove('has-error');
  }
}

export class TemplateForm {
  // @template: one of GET /api/templates' "templates".
  constructor(template, container) {
    this.template = template;
    this.fields = new Map();
    const sections = new Map();
    const values = template.values || {};
    container.replaceChildren();
    for (const def of template.parameters || []) {
      const start = values[def.name] !== undefined ? values[def.name] : def.default;
      const field = new ParamField(def, start);
      this.fields.set(def.name, field);
      // groupLabel: a section, in the order its first parameter comes.
      const group = def.groupLabel || '';
      if (!sections.has(group)) {
        const box = group ? el('fieldset', { class: 'object param-group' }, el('legend', { text: group })) : el('div');
        sections.set(group, box);
        container.append(box);
      }
      sections.get(group).append(field.wrap);
    }
  }

  // The parameters to send: every field with a value.
  value() {
    const out = {};
    for (const [name, f] of this.fields) {
      const v = f.value();
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  clearErrors() { for (const f of this.fields.values()) f.clearErrors(); }

  // The page's own checks, each problem shown at its field.  Returns them.
  check() {
    const problems = [];
    for (const [name, f] of this.fields) {
      const why = f.problem();
      if (why) problems.push({ parameter: name, path: `parameters.${name}`, message: why });
    }
    this.showErrors(problems);
    return problems;
  }

  // Shows @errors ({parameter?, message}) at their fields and brings the
  // first such field into view.  Returns those that name no shown field
  // (a HIDDEN parameter's too), for the box on top.
  showErrors(errors) {
    const unplaced = [];
    let first = null;
    for (const e of errors) {
      const f = e.parameter && this.fields.get(e.parameter);
      if (!f || f.wrap.hidden) {
        unplaced.push(e);
        continue;
      }
      f.showError(e.message);
      if (!first) first = f;
    }
    if (first) {
      first.wrap.scrollIntoView({ block: 'center' });
      first.input.focus();
    }
    return unplaced;
  }
}
