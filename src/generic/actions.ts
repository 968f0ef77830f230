import type { AnyAction } from '../engine/action.js';
import { checklistAction } from './actions/checklist.js';
import { confirmAction } from './actions/confirm.js';
import { noteAction } from './actions/note.js';
import { chooseAction, secretAction, textAction } from './actions/prompt.js';
import { shellAction } from './actions/shell.js';

export const genericActions: readonly AnyAction[] = [
  shellAction,
  checklistAction,
  chooseAction,
  textAction,
  secretAction,
  confirmAction,
  noteAction,
];
