// st::progress: a bar the run moves in place. A role="progressbar" named by
// its text (or "Progress" without one) whose value a screen reader hears in
// percent; updates change the same node.
import { Element } from '../../generated/page.js';
import { adoptStyle, make, uniqueId } from '../dom.js';

export const member = Element.PROGRESS;

const STYLE = `
.progress-label { font-size: 0.875rem; margin-bottom: 0.25rem; overflow-wrap: anywhere; }
.progress-track { height: 0.5rem; border-radius: 0.25rem; background: var(--sidebar-bg); overflow: hidden; }
.progress-fill { height: 100%; width: 0; background: var(--accent); transition: width 0.1s linear; }
@media (prefers-reduced-motion: reduce) { .progress-fill { transition: none; } }
`;

export function create(element) {
  adoptStyle(STYLE);
  const node = make('div', 'progress');
  const label = make('div', 'progress-label');
  label.id = uniqueId('progress');
  const track = make('div', 'progress-track');
  track.setAttribute('role', 'progressbar');
  track.setAttribute('aria-valuemin', '0');
  track.setAttribute('aria-valuemax', '100');
  const fill = make('div', 'progress-fill');
  track.append(fill);
  node.append(label, track);

  const show = (progress) => {
    // The worker sends 0..1; a page never trusts that to size a node.
    const fraction = Math.min(1, Math.max(0, Number(progress.fraction) || 0));
    const percent = Math.round(fraction * 100);
    const text = progress.text;
    label.textContent = text;
    label.hidden = text === '';
    if (text === '') {
      track.removeAttribute('aria-labelledby');
      track.setAttribute('aria-label', 'Progress');
    } else {
      track.removeAttribute('aria-label');
      track.setAttribute('aria-labelledby', label.id);
    }
    track.setAttribute('aria-valuenow', String(percent));
    track.setAttribute('aria-valuetext', `${percent}%`);
    fill.style.width = `${fraction * 100}%`;
  };
  show(element.progress);
  return {
    node,
    update(e) {
      show(e.progress);
    },
  };
}
