import type { AnyAction } from '../../engine/action.js';
import { checklistAction } from './checklist.js';
import { confirmAction } from './confirm.js';
import { noteAction } from './note.js';
import { chooseAction, secretAction, textAction } from './prompt.js';
import { shellAction } from './shell.js';

export const genericActions: readonly AnyAction[] = [
  shellAction,
  checklistAction,
  chooseAction,
  textAction,
  secretAction,
  confirmAction,
  noteAction,
];
