// st::image: the worker's encoded bytes shown through an <img> from a Blob
// URL, with the caption under it and as its alt text. An <img> never runs
// an SVG's scripts nor loads its external resources, which is why the
// worker may send SVG at all: never put these bytes into the DOM as markup.
//
// The bytes live in the Blob, not in the message (the Blob constructor
// copies them), and the Blob lives until its URL is revoked: when update()
// shows other bytes and when the element goes away (dispose), so a page
// that shows one frame after another holds one image, not all of them.
import { Element } from '../../generated/page.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.IMAGE;

// The figure is as wide as its image (never wider than its column; its
// margins are every element's). The caption takes no width of its own
// (width 0), so a long caption wraps under the image instead of widening
// the figure, but at least 10rem of it, so a small image's caption does not
// wrap at every word: it is left-aligned with the image for that reason.
const STYLE = `
.image { width: fit-content; max-width: 100%; }
.image img { display: block; max-width: 100%; height: auto; border-radius: 0.25rem; }
.image figcaption {
  width: 0; min-width: max(100%, 10rem); margin-top: 0.375rem;
  font-size: 0.875rem; color: var(--muted); overflow-wrap: anywhere;
}
`;

export function create(element) {
  adoptStyle(STYLE);
  const node = make('figure', 'image');
  const img = make('img');
  img.decoding = 'async';
  const caption = make('figcaption');
  node.append(img, caption);
  let url = null;

  const update = (e) => {
    const image = e.image;
    const next = URL.createObjectURL(new Blob([image.data.toUint8Array()], { type: image.mime }));
    // The <img> keeps showing what it decoded from the old URL until the
    // new bytes are in, so revoking it now frees the old Blob without a
    // blank frame.
    const old = url;
    url = next;
    img.src = next;
    if (old) URL.revokeObjectURL(old);
    img.alt = image.caption;
    caption.textContent = image.caption;
    caption.hidden = image.caption.length === 0;
    // The image's own size, when the header said it, reserves its space
    // (and its proportions) before it has loaded, so nothing below jumps.
    if (image.pixelWidth > 0 && image.pixelHeight > 0) {
      img.width = image.pixelWidth;
      img.height = image.pixelHeight;
    } else {
      img.removeAttribute('width');
      img.removeAttribute('height');
    }
    img.style.width = image.width > 0 ? `${image.width}px` : '';
  };
  update(element);
  return {
    node,
    update,
    dispose() {
      if (url) URL.revokeObjectURL(url);
      url = null;
    },
  };
}
