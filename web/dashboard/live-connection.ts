import type { LiveMessage } from '../../api/live/live-messages';

export type ConnectionState = 'CONNECTED' | 'DISCONNECTED';

export interface LiveHandlers {
  onMessage(message: LiveMessage): void;
  onState(state: ConnectionState): void;
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 5_000;

/**
 * The live feed, reconnecting by itself: after a drop it tries again at once, then backs off doubling up to
 * 5 s; every new connection starts with a fresh `history`. `follow` switches what it follows.
 */
export function liveConnection(token: () => string, handlers: LiveHandlers) {
  let socket: WebSocket | undefined;
  let symbols: string[] = [];
  let retryMs = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    clearTimeout(timer);
    const query = symbols.length > 0 ? `?symbols=${symbols.map(encodeURIComponent).join(',')}` : '';
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live${query}`;
    const current = new WebSocket(url, ['keel.live.v1', `bearer.${token()}`]);
    socket = current;
    current.onopen = () => {
      retryMs = 0;
      handlers.onState('CONNECTED');
    };
    current.onmessage = (event: MessageEvent<string>) =>
      handlers.onMessage(JSON.parse(event.data) as LiveMessage);
    current.onclose = () => {
      if (socket !== current) return; // replaced on purpose
      handlers.onState('DISCONNECTED');
      timer = setTimeout(open, retryMs);
      retryMs = Math.min(Math.max(retryMs * 2, FIRST_RETRY_MS), LAST_RETRY_MS);
    };
  };

  return {
    /** (Re)connects following these symbols (all when empty). */
    follow(next: string[]) {
      symbols = next;
      const previous = socket;
      socket = undefined;
      previous?.close();
      open();
    },
  };
}
