package browsertest

import (
	"strings"
)

// contrastJS lists what on the page fails WCAG AA contrast, computed from
// the browser's own computed colours: every visible text (4.5:1, or 3:1
// for large text: 24 px, or 18.66 px bold) and every icon-only control
// (3:1 for its icon against its background). Backgrounds are composited
// from the element up through its ancestors over white, with their
// opacity; text over a picture or video is judged against the nearest
// background colour laid over it (a tile's name label has its own).
// Disabled controls are exempt, as WCAG exempts inactive components.
const contrastJS = `(() => {
	const parse = (c) => {
		const m = c.match(/rgba?\(([^)]+)\)/);
		if (!m) return [0, 0, 0, 0];
		const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
		return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
	};
	const over = (top, bottom) => {
		const a = top[3] + bottom[3] * (1 - top[3]);
		if (a === 0) return [0, 0, 0, 0];
		const ch = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
		return [ch(0), ch(1), ch(2), a];
	};
	const lum = (c) => {
		const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
	};
	const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
	const background = (el) => {
		const layers = [];
		for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
			const cs = getComputedStyle(e);
			const c = parse(cs.backgroundColor);
			c[3] *= Number(cs.opacity);
			if (c[3] > 0) layers.push(c);
			if (c[3] >= 1) break;
		}
		let bg = [255, 255, 255, 1];
		for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
		return bg;
	};
	const opacity = (el) => { let o = 1; for (let e = el; e && e.nodeType === 1; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
	const shown = (el) => {
		const r = el.getBoundingClientRect();
		if (r.width < 1 || r.height < 1 || r.bottom < 0 || r.right < 0 || r.top > innerHeight || r.left > innerWidth) return false;
		const cs = getComputedStyle(el);
		if (cs.visibility !== 'visible' || el.closest('[aria-hidden="true"], .visually-hidden')) return false;
		// Covered by something else (a dialog's backdrop, say): not seen.
		const hit = document.elementFromPoint(Math.min(innerWidth - 1, r.left + r.width / 2), Math.min(innerHeight - 1, r.top + r.height / 2));
		return !!hit && (el.contains(hit) || hit.contains(el));
	};
	const name = (el) => (el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''));
	const out = [];
	const seen = new Set();
	const check = (el, need, what) => {
		if (seen.has(el) || el.closest('button:disabled, input:disabled, select:disabled')) return;
		seen.add(el);
		const fg = parse(getComputedStyle(el).color);
		fg[3] *= opacity(el);
		const bg = background(el);
		const r = ratio(over(fg, bg), bg);
		if (r + 0.005 < need) out.push(name(el) + ' "' + what.slice(0, 40) + '" ' + r.toFixed(2) + ':1 < ' + need + ':1');
	};
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const text = n.textContent.trim();
		const el = n.parentElement;
		if (!text || !el || ['SCRIPT', 'STYLE', 'OPTION', 'TITLE'].includes(el.tagName) || !shown(el)) continue;
		const cs = getComputedStyle(el);
		const px = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
		check(el, px >= 24 || (bold && px >= 18.66) ? 3 : 4.5, text);
	}
	for (const el of document.querySelectorAll('button, [role="button"], a[href]')) {
		if (el.textContent.trim() || !el.querySelector('svg') || !shown(el)) continue;
		check(el, 3, el.getAttribute('aria-label') || name(el));
	}
	return out;
})()`

// ContrastViolations returns what on the page's viewport fails WCAG AA.
func (p *Page) ContrastViolations() []string {
	p.t.Helper()
	var out []string
	p.Eval(contrastJS, &out)
	return out
}

// NoContrastViolations fails the test with every element below WCAG AA.
func (p *Page) NoContrastViolations(where string) {
	p.t.Helper()
	if v := p.ContrastViolations(); len(v) > 0 {
		p.fail("%s: %d elements below WCAG AA contrast:\n  %s", where, len(v), strings.Join(v, "\n  "))
	}
}
