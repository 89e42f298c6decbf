// form.js — a submission form generated from a JSON Schema (the job schema,
// schemas/job.schema.json): titles, descriptions, defaults, enums, nested
// objects, lists, and a choice for each oneOf.  A field left empty is left
// out, so the job takes its default.  The server's problems, named by JSON
// path ("executor.preset", "path_map[1].from"), are shown beside the field
// they name.

// An element with properties and children; text only ever as textContent.
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

let fieldCounter = 0;
const nextId = () => `f${++fieldCounter}`;

function typeOf(schema) {
  if (schema.enum) return 'enum';
  if (Array.isArray(schema.oneOf) && schema.oneOf.some((v) => v.type || v.$ref || v.properties)) return 'choice';
  if (schema.type === 'object') return schema.properties ? 'object' : 'map';
  if (schema.type === 'array') return schema.items && (schema.items.type === 'object' || schema.items.properties) ? 'list' : 'lines';
  return schema.type || 'string';
}

function show(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// "path_map[1].from" → ['path_map', 1, 'from']
function parsePath(path) {
  const tokens = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) tokens.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return tokens;
}

// The pieces every field has: a wrapper with its label, help and errors.
class Field {
  constructor(schema, key, { required = false, bare = false } = {}) {
    this.schema = schema;
    this.id = nextId();
    this.wrap = el('div', { class: `field field-${typeOf(schema)}` });
    this.errors = el('div', { class: 'field-error', role: 'alert' });
    if (!bare) {
      const label = el('label', { for: this.id, text: schema.title || key || '' });
      if (required) label.append(el('span', { class: 'required', title: 'required', text: ' *' }));
      if (key) label.append(el('code', { class: 'key', text: key }));
      this.wrap.append(label);
    }
    this.body = el('div', { class: 'field-body' });
    this.wrap.append(this.body);
    if (schema.description && !bare) this.wrap.append(el('small', { class: 'help', text: schema.description }));
    this.wrap.append(this.errors);
  }

  child() { return null; }

  clearErrors() {
    this.errors.replaceChildren();
    this.wrap.classList.remove('has-error');
    for (const c of this.children()) c.clearErrors();
  }

  children() { return []; }

  showError(message) {
    this.errors.append(el('div', { text: message }));
    this.wrap.classList.add('has-error');
  }

  placeholder() {
    return this.schema.default !== undefined && show(this.schema.default) !== '' &&
      typeof this.schema.default !== 'object' ? `default: ${show(this.schema.default)}` : '';
  }
}

class TextField extends Field {
  constructor(schema, key, opts) {
    super(schema, key, opts);
    const long = /command|description/.test(key || '');
    this.input = el(long ? 'textarea' : 'input', { id: this.id, name: key || this.id });
    if (long) this.input.rows = 2;
    else this.input.type = 'text';
    const ph = this.placeholder();
    if (ph) this.input.placeholder = ph;
    this.body.append(this.input);
  }

  get() { return this.input.value === '' ? undefined : this.input.value; }
}

class NumberField extends Field {
  constructor(schema, key, opts) {
    super(schema, key, opts);
    this.input = el('input', { id: this.id, name: key || this.id, type: 'number', step: schema.type === 'integer' ? '1' : 'any' });
    if (schema.minimum !== undefined) this.input.min = String(schema.minimum);
    if (schema.maximum !== undefined) this.input.max = String(schema.maximum);
    const ph = this.placeholder();
    if (ph) this.input.placeholder = ph;
    this.body.append(this.input);
  }

  get() { return this.input.value === '' ? undefined : Number(this.input.value); }
}

class BoolField extends Field {
  constructor(schema, key, opts) {
    super(schema, key, opts);
    this.input = el('input', { id: this.id, name: key || this.id, type: 'checkbox' });
    this.input.checked = schema.default === true;
    this.body.append(this.input);
  }

  // Only a change from the default is part of the job.
  get() { return this.input.checked === (this.schema.default === true) ? undefined : this.input.checked; }
}

class EnumField extends Field {
  constructor(schema, key, opts) {
    super(schema, key, opts);
    this.input = el('select', { id: this.id, name: key || this.id });
    this.input.append(el('option', { value: '', text: schema.default !== undefined ? `default (${show(schema.default)})` : '—' }));
    for (const v of schema.enum) this.input.append(el('option', { value: show(v), text: show(v) }));
    this.body.append(this.input);
  }

  get() {
    if (this.input.value === '') return undefined;
    return this.schema.enum.find((v) => show(v) === this.input.value);
  }
}

// A list of strings: one per line.
class LinesField extends Field {
  constructor(schema, key, opts) {
    super(schema, key, opts);
    this.input = el('textarea', { id: this.id, name: key || this.id, rows: '3', placeholder: 'one per line' });
    this.body.append(this.input);
  }

  get() {
    const lines = this.input.value.split('\n').filter((l) => l.trim() !== '');
    return lines.length ? lines : undefined;
  }
}

// An object of free-form names: NAME=value per line.
class MapField extends Field {
  constructor(schema, key, opts) {
    super(schema, key, opts);
    this.input = el('textarea', { id: this.id, name: key || this.id, rows: '3', placeholder: 'NAME=value, one per line' });
    this.body.append(this.input);
  }

  get() {
    const out = {};
    let any = false;
    for (const line of this.input.value.split('\n')) {
      if (line.trim() === '') continue;
      const eq = line.indexOf('=');
      out[eq < 0 ? line : line.slice(0, eq)] = eq < 0 ? '' : line.slice(eq + 1);
      any = true;
    }
    return any ? out : undefined;
  }
}

class ObjectField extends Field {
  constructor(schema, key, opts, form) {
    super(schema, key, { ...opts, bare: true });
    this.fields = {};
    const required = new Set(schema.required || []);
    const box = opts.top ? this.body : el('fieldset', { class: 'object' });
    const heading = (tag) => el(tag, { text: schema.title || key }, ...(key ? [el('code', { class: 'key', text: key })] : []));
    // Optional groups start folded, so the form opens on what matters.
    const folded = !opts.top && !opts.bare && required.size === 0 && !opts.required;
    if (!opts.top && !opts.bare) {
      if (!folded) box.append(heading('legend'));
      if (schema.description) box.append(el('small', { class: 'help', text: schema.description }));
    }
    for (const [name, sub] of Object.entries(schema.properties)) {
      if (name.startsWith('$')) continue;
      const f = form.build(sub, name, { required: required.has(name) });
      this.fields[name] = f;
      box.append(f.wrap);
    }
    if (!opts.top) this.body.append(folded ? el('details', { class: 'group' }, heading('summary'), box) : box);
  }

  child(key) { return this.fields[key] || null; }

  children() { return Object.values(this.fields); }

  get() {
    const out = {};
    let any = false;
    for (const [name, f] of Object.entries(this.fields)) {
      const v = f.get();
      if (v !== undefined) { out[name] = v; any = true; }
    }
    return any ? out : undefined;
  }
}

class ListField extends Field {
  constructor(schema, key, opts, form) {
    super(schema, key, opts);
    this.form = form;
    this.entries = [];
    this.list = el('div', { class: 'list' });
    const add = el('button', { type: 'button', class: 'add', text: `Add ${(schema.items.title || 'entry').toLowerCase()}` });
    add.onclick = () => this.add();
    this.body.append(this.list, add);
  }

  add() {
    const f = this.form.build(this.schema.items, null, { bare: true });
    const remove = el('button', { type: 'button', class: 'remove', 'aria-label': 'Remove', text: '×' });
    const row = el('div', { class: 'list-entry' }, f.wrap, remove);
    const entry = { f, row };
    remove.onclick = () => {
      row.remove();
      this.entries = this.entries.filter((e) => e !== entry);
      this.form.changed();
    };
    this.entries.push(entry);
    this.list.append(row);
    return f;
  }

  child(index) { return typeof index === 'number' && this.entries[index] ? this.entries[index].f : null; }

  children() { return this.entries.map((e) => e.f); }

  get() {
    const values = this.entries.map((e) => e.f.get() ?? {});
    return values.length ? values : undefined;
  }
}

// oneOf: a choice of the variant, and the variant's fields.
class ChoiceField extends Field {
  constructor(schema, key, opts, form) {
    super(schema, key, opts);
    this.variants = schema.oneOf.map((v) => form.resolve(v));
    this.select = el('select', { id: this.id, class: 'variant', 'aria-label': `${schema.title || key}: kind` });
    this.variants.forEach((v, i) => this.select.append(el('option', { value: String(i), text: this.label(v) })));
    this.holder = el('div', { class: 'variant-body' });
    this.body.append(this.select, this.holder);
    this.fields = this.variants.map((v) => {
      const sub = { ...v };
      if (schema.default !== undefined && this.fits(v, schema.default)) sub.default = schema.default;
      return form.build(sub, key, { bare: true });
    });
    const initial = Math.max(0, this.variants.findIndex((v) => schema.default !== undefined && this.fits(v, schema.default)));
    this.select.value = String(initial);
    this.select.onchange = () => this.pick(Number(this.select.value));
    this.pick(initial);
  }

  label(v) {
    if (v.title) return v.title;
    return { string: 'name', array: 'list', object: 'details', integer: 'number', number: 'number', boolean: 'yes/no' }[v.type] || 'value';
  }

  fits(v, value) {
    if (Array.isArray(value)) return v.type === 'array';
    if (typeof value === 'object' && value !== null) return v.type === 'object';
    if (typeof value === 'number') return v.type === 'integer' || v.type === 'number';
    return v.type === typeof value;
  }

  pick(i) {
    this.active = this.fields[i];
    this.holder.replaceChildren(this.active.wrap);
  }

  child(key) { return this.active.child(key); }

  children() { return this.fields; }

  get() { return this.active.get(); }
}

export class SchemaForm {
  constructor(schema, container, onChange) {
    this.root = schema;
    this.onChange = onChange;
    this.top = this.build(schema, null, { top: true, bare: true });
    container.replaceChildren(this.top.wrap);
    container.addEventListener('input', () => this.changed());
    container.addEventListener('change', () => this.changed());
  }

  changed() { if (this.onChange) this.onChange(); }

  resolve(schema) {
    if (!schema.$ref) return schema;
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m && this.root.$defs ? this.root.$defs[m[1]] : {};
    const rest = { ...schema };
    delete rest.$ref;
    return { ...target, ...rest };
  }

  build(schema, key, opts = {}) {
    const s = this.resolve(schema);
    switch (typeOf(s)) {
      case 'choice': return new ChoiceField(s, key, opts, this);
      case 'object': return new ObjectField(s, key, opts, this);
      case 'list': return new ListField(s, key, opts, this);
      case 'map': return new MapField(s, key, opts);
      case 'lines': return new LinesField(s, key, opts);
      case 'enum': return new EnumField(s, key, opts);
      case 'boolean': return new BoolField(s, key, opts);
      case 'integer':
      case 'number': return new NumberField(s, key, opts);
      default: return new TextField(s, key, opts);
    }
  }

  value() { return this.top.get() || {}; }

  // The field of @path, or of its deepest part the form has: [field,
  // whether it is the path's own].
  field(path) {
    let f = this.top;
    const tokens = parsePath(path);
    let depth = 0;
    for (; depth < tokens.length; depth++) {
      const next = f.child(tokens[depth]);
      if (!next) break;
      f = next;
    }
    return [f === this.top ? null : f, depth === tokens.length];
  }

  clearErrors() { this.top.clearErrors(); }

  // Shows each {path, message} beside its field; returns those with no
  // field of their own (the whole job, an unknown member).
  showErrors(errors) {
    const unplaced = [];
    let first = null;
    for (const e of errors) {
      const [f, own] = e.path ? this.field(e.path) : [null, false];
      if (!f) { unplaced.push(e); continue; }
      // A problem of a part the form has no field for (an entry of a
      // list of lines, a member of a map) names it.
      f.showError(own ? e.message : `${e.path}: ${e.message}`);
      for (let d = f.wrap.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
      first = first || f;
    }
    if (first) first.wrap.scrollIntoView({ block: 'center' });
    return unplaced;
  }
}
