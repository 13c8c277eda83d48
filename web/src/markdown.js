// markdown-it, configured for st::markdown (elements/markdown.js loads this
// module with import() as the page starts: it and markdown-it are a chunk of
// their own, so app.js stays small). The app's text is untrusted as HTML: markdown-it runs with
// html disabled (raw tags come out escaped) and its default link validator
// (no javascript:, vbscript:, file:, or non-image data: URLs). This is the
// only place the page assigns innerHTML, and only markdown-it's output.
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, env, self) => self.renderToken(tokens, idx, options));

// Links leave the app's tab rather than replacing it (which would end the session).
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('target', '_blank');
  tokens[idx].attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Shows `source` rendered as markdown in `node`, replacing its contents. */
export function renderMarkdown(node, source) {
  node.innerHTML = md.render(source);
}
