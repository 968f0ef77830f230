/** A timer that ticks every second from `sinceMs`. */
import { Text } from 'ink';
import { useEffect, useState } from 'react';
import { formatElapsed } from '../format.js';

export function Elapsed({ sinceMs, dimColor }: { sinceMs: number; dimColor?: boolean }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return <Text dimColor={dimColor}>{formatElapsed(now - sinceMs)}</Text>;
}
