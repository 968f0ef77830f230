/** Renders the pending prompt of the store with the component of its kind. */
import type { AnyPendingPrompt } from '../prompt-store.js';
import { ChecklistPrompt } from './ChecklistPrompt.js';
import { ChoicePrompt } from './ChoicePrompt.js';
import { ConfirmPrompt } from './ConfirmPrompt.js';
import { SecretPrompt } from './SecretPrompt.js';
import { TextPrompt } from './TextPrompt.js';

export function PromptView({ prompt, isActive = true }: { prompt: AnyPendingPrompt; isActive?: boolean }) {
  // Keyed by the prompt's id so that typed text never carries over from one prompt to the next.
  switch (prompt.kind) {
    case 'choice':
      return <ChoicePrompt key={prompt.id} request={prompt.request} onSubmit={prompt.submit} isActive={isActive} />;
    case 'text':
      return <TextPrompt key={prompt.id} request={prompt.request} onSubmit={prompt.submit} isActive={isActive} />;
    case 'secret':
      return <SecretPrompt key={prompt.id} request={prompt.request} onSubmit={prompt.submit} isActive={isActive} />;
    case 'confirm':
      return (
        <ConfirmPrompt
          key={prompt.id}
          request={prompt.request}
          onSubmit={prompt.submit}
          onCancel={prompt.cancel}
          isActive={isActive}
        />
      );
    case 'checklist':
      return <ChecklistPrompt key={prompt.id} request={prompt.request} onSubmit={prompt.submit} isActive={isActive} />;
  }
}
