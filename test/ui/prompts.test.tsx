/** @jsxRuntime automatic */
// (tsx applies tsconfig.json, whose `include` does not cover test/, so the JSX runtime is named here.)
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { useSyncExternalStore } from 'react';
import { AnswerRequiredError, isAbortError } from '../../src/core/errors.js';
import type { ConfirmRequest } from '../../src/engine/events.js';
import { InkInteractor } from '../../src/ui/ink-interactor.js';
import type { PromptStore } from '../../src/ui/prompt-store.js';
import { PromptView } from '../../src/ui/prompts/PromptView.js';
import { keys, settle, track, waitUntil } from './wait.js';

function PromptHost({ store }: { store: PromptStore }) {
  const prompt = useSyncExternalStore(store.subscribe, store.current);
  return prompt ? <PromptView prompt={prompt} /> : <Text>no prompt</Text>;
}

function setup() {
  const interactor = new InkInteractor();
  const ui = render(<PromptHost store={interactor.prompts} />);
  const frame = () => ui.lastFrame() ?? '';
  const type = async (text: string) => {
    ui.stdin.write(text);
    await settle();
  };
  return { interactor, ui, frame, type, signal: new AbortController().signal };
}

afterEach(cleanup);

describe('choice prompt', () => {
  const request = {
    kind: 'choice' as const,
    name: 'era',
    message: 'Which key era?',
    options: [
      { value: 'era-1', label: 'era 1', hint: 'before the rotation' },
      { value: 'era-2', label: 'era 2' },
      { value: 'era-3', label: 'era 3' },
    ],
    default: 'era-2',
  };

  test('Enter picks the default, which is preselected', async () => {
    const { interactor, frame, type, signal } = setup();
    const answer = interactor.choose(request, signal);
    await settle();
    assert.match(frame(), /Which key era\?/);
    assert.match(frame(), /❯ era 2/);
    await type(keys.enter);
    assert.equal(await answer, 'era-2');
    assert.match(frame(), /no prompt/);
  });

  test('arrow down then Enter picks the next option', async () => {
    const { interactor, type, signal } = setup();
    const answer = interactor.choose(request, signal);
    await settle();
    await type(keys.down);
    await type(keys.enter);
    assert.equal(await answer, 'era-3');
  });
});

describe('text prompt', () => {
  test('Enter on an empty line takes the default; typed text wins over it', async () => {
    const { interactor, frame, type, signal } = setup();
    const first = interactor.text({ kind: 'text', name: 'reason', message: 'Reason?', default: 'manual' }, signal);
    await settle();
    assert.match(frame(), /Enter for manual/);
    await type(keys.enter);
    assert.equal(await first, 'manual');
    const second = interactor.text({ kind: 'text', name: 'reason', message: 'Reason?', default: 'manual' }, signal);
    await settle();
    await type('pre-migration');
    await type(keys.enter);
    assert.equal(await second, 'pre-migration');
  });
});

describe('secret prompt', () => {
  test('the typed value is masked in every frame and validate can refuse it', async () => {
    const { interactor, ui, frame, type, signal } = setup();
    const wrong = 'wrong-value-Zq81';
    const right = 'correct-value-Xk42';
    const answer = track(
      interactor.secret(
        {
          kind: 'secret',
          name: 'ENCRYPTION_KEY',
          message: 'Paste ENCRYPTION_KEY for era 1',
          validate: (value) => (value === right ? undefined : 'this key does not decrypt the sample values'),
        },
        signal,
      ),
    );
    await settle();
    await type(wrong);
    assert.match(frame(), /\*{16}/);
    await type(keys.enter);
    assert.match(frame(), /does not decrypt/);
    assert.equal(answer.state, 'pending');
    for (const character of right) await type(character);
    assert.match(frame(), /\*{18}/);
    await type(keys.enter);
    await waitUntil(
      () => answer.state !== 'pending',
      () => frame(),
    );
    assert.equal(answer.value, right);
    for (const shown of ui.frames) {
      assert.ok(!shown.includes(wrong) && !shown.includes(right), 'a secret reached the screen');
      assert.ok(!shown.includes('Zq81') && !shown.includes('Xk42'), 'part of a secret reached the screen');
    }
  });
});

describe('typed confirmation', () => {
  const request: ConfirmRequest = {
    kind: 'confirm',
    name: 'confirm-target',
    message: 'This replaces the database obexal on 127.0.0.1:5432',
    token: '127.0.0.1:5432/obexal',
    destructive: true,
    details: ['database obexal will be replaced by the dump of 2025-01-02', 'every session in Redis ends'],
    targetNamedByInvocation: true,
  };

  test('shows what will be destroyed and the exact token; a wrong token is refused, the exact one accepted', async () => {
    const { interactor, frame, type, signal } = setup();
    const answer = track(interactor.confirm(request, signal));
    await settle();
    assert.match(frame(), /will be replaced by the dump/);
    assert.match(frame(), /every session in Redis ends/);
    assert.match(frame(), /Type  127\.0\.0\.1:5432\/obexal  to confirm/);
    await type('127.0.0.1:5432/obexa');
    await type(keys.enter);
    await settle();
    assert.equal(answer.state, 'pending');
    assert.match(frame(), /"127\.0\.0\.1:5432\/obexa" does not match\. Type exactly: 127\.0\.0\.1:5432\/obexal/);
    await type('127.0.0.1:5432/obexal');
    await type(keys.enter);
    await waitUntil(
      () => answer.state !== 'pending',
      () => frame(),
    );
    assert.equal(answer.state, 'resolved');
  });

  test('Esc after a mistyped token cancels: AnswerRequiredError named by the request, nothing changed', async () => {
    const { interactor, frame, type, signal } = setup();
    const answer = track(interactor.confirm(request, signal));
    await settle();
    await type('yes');
    await type(keys.enter);
    assert.equal(answer.state, 'pending');
    await type(keys.escape);
    await waitUntil(
      () => answer.state !== 'pending',
      () => frame(),
    );
    assert.equal(answer.state, 'rejected');
    assert.ok(answer.error instanceof AnswerRequiredError);
    assert.equal(answer.error.answerName, 'confirm-target');
    assert.equal(answer.error.message, 'confirmation not given: nothing was changed');
    assert.equal(answer.error.exitCode, 3);
  });
});

describe('pasted answers', () => {
  test('a token pasted with its line break in one chunk confirms at once', async () => {
    const { interactor, frame, type, signal } = setup();
    const answer = track(
      interactor.confirm(
        {
          kind: 'confirm',
          name: 'c',
          message: 'm',
          token: 'db.internal:5432/obexal',
          destructive: true,
          details: [],
          targetNamedByInvocation: false,
        },
        signal,
      ),
    );
    await settle();
    await type('db.internal:5432/obexal\r');
    await waitUntil(
      () => answer.state !== 'pending',
      () => frame(),
    );
    assert.equal(answer.state, 'resolved');
  });

  test('a secret pasted with a trailing line break keeps only the line, masked', async () => {
    const { interactor, ui, frame, type, signal } = setup();
    const answer = track(interactor.secret({ kind: 'secret', name: 'K', message: 'Key?' }, signal));
    await settle();
    await type('pasted-secret-Vw93\n');
    await waitUntil(
      () => answer.state !== 'pending',
      () => frame(),
    );
    assert.equal(answer.value, 'pasted-secret-Vw93');
    assert.ok(ui.frames.every((shown) => !shown.includes('Vw93')));
  });
});

describe('checklist prompt', () => {
  test('done with a note, then not done without one', async () => {
    const { interactor, frame, type, signal } = setup();
    const first = interactor.checklist({ kind: 'checklist', name: 'announce', item: 'Announce the window' }, signal);
    await settle();
    assert.match(frame(), /☐ Announce the window/);
    await type(keys.enter);
    assert.match(frame(), /Note \(optional/);
    await type('posted in #ops');
    await type(keys.enter);
    assert.deepEqual(await first, { done: true, note: 'posted in #ops' });

    const second = interactor.checklist({ kind: 'checklist', name: 'page', item: 'Page the DBA' }, signal);
    await settle();
    await type(keys.down);
    await type(keys.enter);
    assert.match(frame(), /not done/);
    await type(keys.enter);
    assert.deepEqual(await second, { done: false });
  });
});

describe('abort', () => {
  test('an aborted signal closes the prompt and rejects with an AbortError', async () => {
    const { interactor, frame } = setup();
    const controller = new AbortController();
    const answer = track(interactor.text({ kind: 'text', name: 'reason', message: 'Reason?' }, controller.signal));
    await settle();
    assert.match(frame(), /Reason\?/);
    controller.abort('SIGINT');
    await waitUntil(
      () => answer.state !== 'pending',
      () => frame(),
    );
    assert.ok(isAbortError(answer.error));
    await settle();
    assert.match(frame(), /no prompt/);
    await assert.rejects(
      interactor.choose({ kind: 'choice', name: 'x', message: 'x', options: [] }, controller.signal),
      (error) => isAbortError(error),
    );
  });
});
