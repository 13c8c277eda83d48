// The page's own messages to the viewer: one banner at a time for the state
// of the session (connection lost, busy, crashed, ended) and short-lived
// toasts for rejected input. Both are announced (role="alert"), except a
// banner shown with polite: true (role="status": the waiting line's
// position, which changes while the viewer waits and must not interrupt).
const TOAST_MS = 6000;

export class Banner {
  /** host: the node banners are shown in; toasts: the node toasts stack in. */
  constructor(host, toasts) {
    this.host = host;
    this.toasts = toasts;
  }

  /**
   * Replaces the current banner. tone: "error" | "warning" | "info".
   * action (optional): {label, run} adds a button that calls run().
   * polite (optional): announce as a status, not an alert.
   */
  show({ tone, message, detail, action, polite }) {
    const banner = document.createElement('div');
    banner.className = `banner banner-${tone}`;
    banner.setAttribute('role', polite ? 'status' : 'alert');
    const text = document.createElement('div');
    text.className = 'banner-message';
    text.textContent = message;
    banner.append(text);
    if (detail) {
      const more = document.createElement('div');
      more.className = 'banner-detail';
      more.textContent = detail;
      banner.append(more);
    }
    if (action) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = action.label;
      button.addEventListener('click', action.run);
      banner.append(button);
    }
    this.host.replaceChildren(banner);
  }

  hide() {
    this.host.replaceChildren();
  }

  toast(message) {
    const toast = document.createElement('div');
    toast.className = 'toast';
    toast.setAttribute('role', 'alert');
    toast.textContent = message;
    this.toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
  }
}
