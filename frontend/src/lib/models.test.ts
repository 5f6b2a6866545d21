import { describe, expect, it } from 'vitest';
import { changeMarker, modelChoices, OTHER_MODEL } from './models';

const reported = [
  { value: 'default', displayName: 'Default (recommended)' },
  { value: 'opus', displayName: 'Opus' },
  { value: 'haiku', displayName: 'Haiku' },
];

describe('modelChoices', () => {
  it('lists the models the CLI reports, then a way to name another', () => {
    expect(modelChoices(reported, 'opus').map((c) => c.value)).toEqual(['default', 'opus', 'haiku', OTHER_MODEL]);
  });
  it('keeps a model the CLI does not list at the top, so the list shows what the session runs', () => {
    const c = modelChoices(reported, 'claude-sonnet-4-5');
    expect(c[0]).toEqual({ value: 'claude-sonnet-4-5', label: 'claude-sonnet-4-5' });
    expect(c).toHaveLength(5);
  });
  it('names the CLI default when the session has no model and the CLI reports none', () => {
    expect(modelChoices([], '')).toEqual([
      { value: '', label: 'Default model' },
      { value: OTHER_MODEL, label: 'Other model…' },
    ]);
  });
});

describe('changeMarker', () => {
  it('says which model a session switched to', () => {
    expect(changeMarker({ model: 'opus', permissionMode: 'default' }, { model: 'haiku', permissionMode: 'default' })).toBe('Model changed to haiku');
  });
  it('does not take the model the CLI started with, filled in later, for a change', () => {
    expect(changeMarker({ model: '', permissionMode: 'default' }, { model: 'claude-opus-5-5', permissionMode: 'default' })).toBeNull();
  });
  it('names a mode change as the header names the mode', () => {
    expect(changeMarker({ model: '', permissionMode: 'plan' }, { model: '', permissionMode: 'acceptEdits' })).toBe('Mode changed to Accept edits');
  });
  it('takes a session without a mode for the default mode', () => {
    expect(changeMarker({ model: '' }, { model: '', permissionMode: 'default' })).toBeNull();
  });
  it('says nothing of a session seen for the first time or an update that changed neither', () => {
    expect(changeMarker(undefined, { model: 'opus' })).toBeNull();
    expect(changeMarker({ model: 'opus', permissionMode: 'plan' }, { model: 'opus', permissionMode: 'plan' })).toBeNull();
  });
});
