// The exception that ended a run: its type and message.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.EXCEPTION;

export function create(element) {
  const node = make('div', 'exception');
  const type = make('div', 'exception-type');
  const message = make('div', 'exception-message');
  node.append(type, message);
  const update = (e) => {
    type.textContent = e.exception.type;
    message.textContent = e.exception.message;
  };
  update(element);
  return { node, update };
}
