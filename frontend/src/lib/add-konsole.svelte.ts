// AddKonsoleForm: the state of the "Add Konsole" dialog. What was typed is
// never cleared by a failure; the bridge's sentence and a next step show in
// the dialog, with the field the fault is in.

import { ApiError } from './api';
import { addFailure, addRequest, targetKind, type AddKonsoleBody, type KonsoleInfo } from './konsoles';

export class AddKonsoleForm {
  /** A pairing string, an ssh:// address or a URL. */
  target = $state('');
  /** Only for a URL. */
  token = $state('');
  name = $state('');
  busy = $state(false);
  error = $state('');
  hint = $state('');
  /** The bridge's error code of the last failure ('' for the form's own checks). */
  code = $state('');
  /** The field the error is about. */
  field: 'target' | 'token' | '' = $state('');
  added: KonsoleInfo | null = $state(null);

  constructor(private add: (b: AddKonsoleBody) => Promise<KonsoleInfo>) {}

  get kind() {
    return targetKind(this.target);
  }

  /** Sends the request; resolves whether the Konsole was added (it then is in added). */
  async submit(): Promise<boolean> {
    if (this.busy) return false;
    const r = addRequest({ target: this.target, token: this.kind === 'url' ? this.token : '', name: this.name });
    if ('error' in r) {
      this.show(r.error, '', '', r.field);
      return false;
    }
    this.busy = true;
    this.show('', '', '', '');
    try {
      this.added = await this.add(r.body);
      return true;
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'unknown';
      const f = addFailure(code, e instanceof Error ? e.message : String(e));
      this.show(f.message, f.hint, code, f.field);
      return false;
    } finally {
      this.busy = false;
    }
  }

  private show(error: string, hint: string, code: string, field: AddKonsoleForm['field']): void {
    this.error = error;
    this.hint = hint;
    this.code = code;
    this.field = field;
  }
}
