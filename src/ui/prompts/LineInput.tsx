/**
 * ink-text-input for one line, safe against pastes. Ink hands a pasted chunk to the input handlers in one go,
 * before React has re-subscribed them with the new state: a paste followed by Enter would submit the value as
 * it was before the paste, and a paste that ends with a line break would keep it inside the value. Here the
 * latest value is kept in a ref, and a line break inside typed or pasted text submits what precedes it.
 */
import TextInput from 'ink-text-input';
import { useRef } from 'react';

export interface LineInputProps {
  value: string;
  onChange: (value: string) => void;
  onSubmit: (value: string) => void;
  mask?: string;
  focus?: boolean;
  placeholder?: string;
}

export function LineInput({ value, onChange, onSubmit, mask, focus, placeholder }: LineInputProps) {
  const latest = useRef(value);
  latest.current = value;
  const change = (next: string) => {
    const lineBreak = next.search(/[\r\n]/);
    const line = lineBreak === -1 ? next : next.slice(0, lineBreak);
    latest.current = line;
    onChange(line);
    if (lineBreak !== -1) onSubmit(line);
  };
  return (
    <TextInput
      value={value}
      onChange={change}
      onSubmit={() => onSubmit(latest.current)}
      mask={mask}
      focus={focus}
      placeholder={placeholder}
      highlightPastedText={false}
    />
  );
}
