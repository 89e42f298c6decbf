// grid.js — a job's items as a grid of cells coloured by state, with a
// chip per state that filters it.  Built once per job view as one
// DocumentFragment and then updated cell by cell, so that 10,000 items
// render at once and an event touches only its cells.  An OpenJD job's
// steps are sections of it, each under a heading of its own.
export const STATES = ['pending', 'running', 'complete', 'failed', 'retried'];

export class Grid {
  constructor(container, chips, items, { onPick, filter, onFilter, sections = [] }) {
    this.container = container;
    this.chips = chips;
    this.items = items;
    this.cells = [];
    this.selected = null;
    this.onFilter = onFilter;
    // Small jobs show each item's name in its cell; big ones are a dense
    // mosaic with the name on hover.
    const size = items.length > 2000 ? 'tiny' : items.length > 300 ? 'small' : 'large';
    container.className = `grid grid-${size}`;
    const frag = document.createDocumentFragment();
    const starts = new Map(sections.map((sec) => [sec.first, sec]));
    this.headings = new Map();
    for (const item of items) {
      const sec = starts.get(item.index);
      if (sec) frag.append(this.heading(sec));
      const c = document.createElement('button');
      c.type = 'button';
      c.className = 'cell';
      c.dataset.index = String(item.index);
      if (size === 'large') c.textContent = item.name;
      this.cells[item.index] = c;
      this.paint(item);
      frag.append(c);
    }
    container.replaceChildren(frag);
    container.onclick = (ev) => {
      const c = ev.target.closest('.cell');
      if (c) onPick(this.items[Number(c.dataset.index)].name);
    };
    this.buildChips();
    this.setFilter(filter && STATES.includes(filter) ? filter : null, false);
  }

  // A step's heading: its name, then what setSection() says.
  heading(sec) {
    const h = document.createElement('div');
    h.className = 'grid-section';
    h.id = `step-${sec.name}`;
    h.dataset.step = sec.name;
    const name = document.createElement('strong');
    name.textContent = sec.name;
    const state = document.createElement('span');
    state.className = 'state';
    const text = document.createElement('span');
    text.className = 'muted';
    h.append(name, ' ', state, ' ', text);
    this.headings.set(sec.name, { state, text });
    this.setSection(sec);
    return h;
  }

  setSection(step) {
    const h = this.headings.get(step.name);
    if (!h) return;
    h.state.textContent = step.state;
    h.state.className = `state st-${step.state}`;
    h.text.textContent = `${step.complete}/${step.tasks} complete` + (step.failed ? `, ${step.failed} failed` : '') +
      (step.running ? `, ${step.running} running` : '') + (step.why ? ` — ${step.why}` : '');
  }

  paint(item) {
    const c = this.cells[item.index];
    if (!c) return;
    c.className = `cell s-${item.status}${item.index === this.selected ? ' selected' : ''}`;
    const running = item.status === 'running' && item.progress >= 0;
    c.style.setProperty('--p', running ? String(item.progress) : '0');
    const extra = item.reason ? ` — ${item.reason}` : '';
    c.title = `${item.name}: ${item.status}${running ? ` ${Math.floor(item.progress * 100)}%` : ''}${extra}`;
    c.setAttribute('aria-label', c.title);
  }

  update(index, status, progress, attempt) {
    const item = this.items[index];
    if (!item) return;
    item.status = status;
    item.progress = progress;
    item.attempt = attempt;
    this.paint(item);
  }

  select(index) {
    if (this.selected !== null && this.cells[this.selected]) this.cells[this.selected].classList.remove('selected');
    this.selected = index;
    if (index !== null && this.cells[index]) this.cells[index].classList.add('selected');
  }

  buildChips() {
    this.chipEls = {};
    const frag = document.createDocumentFragment();
    const all = document.createElement('button');
    all.type = 'button';
    all.className = 'chip chip-all';
    all.onclick = () => this.setFilter(null);
    this.chipEls.all = all;
    frag.append(all);
    for (const s of STATES) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `chip s-${s}`;
      b.dataset.state = s;
      b.onclick = () => this.setFilter(this.filter === s ? null : s);
      this.chipEls[s] = b;
      frag.append(b);
    }
    this.chips.replaceChildren(frag);
    const counts = {};
    for (const it of this.items) counts[it.status] = (counts[it.status] || 0) + 1;
    this.setCounts(counts);
  }

  setCounts(counts) {
    let total = 0;
    for (const s of STATES) {
      const n = counts[s] || 0;
      total += n;
      this.chipEls[s].textContent = `${s} ${n}`;
    }
    this.chipEls.all.textContent = `all ${total}`;
  }

  setFilter(state, notify = true) {
    this.filter = state;
    for (const s of STATES) this.container.classList.toggle(`only-${s}`, s === state);
    for (const [s, b] of Object.entries(this.chipEls)) b.setAttribute('aria-pressed', String(s === (state || 'all')));
    if (notify && this.onFilter) this.onFilter(state);
  }
}
