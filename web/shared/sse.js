// sse.js -- server-sent events over fetch, so the bearer token goes in the
// Authorization header (EventSource cannot send one, and the token never
// goes in a URL). Reconnects after the server's retry: delay; a 401/403 is
// final. open(path, onEvent(name, data), onState(state, err)) -> {close()}.
import { authHeaders, ApiError } from './api.js';
export function open(path, onEvent, onState) {
  const ctl = new AbortController();
  let retry = 3000;
  const wait = (ms) => new Promise((ok) => setTimeout(ok, ms));
  (async () => {
    while (!ctl.signal.aborted) {
      try {
        const res = await fetch(path, { headers: { ...authHeaders(), Accept: 'text/event-stream' },
                                        signal: ctl.signal, credentials: 'omit', cache: 'no-store' });
        if (!res.ok) {
          let p = {}; try { p = await res.json(); } catch { /* not json */ }
          onState('error', new ApiError(p, res.status));
          if (res.status === 401 || res.status === 403 || res.status === 404) return;
        } else {
          const rd = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await rd.read();
            if (done) break;
            buf += value.replace(/\r\n/g, '\n');
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i); buf = buf.slice(i + 2);
              let name = 'message', data = '';
              for (const line of block.split('\n')) {
                const c = line.indexOf(':');
                if (c <= 0) continue;
                const k = line.slice(0, c), v = line.slice(c + 1).replace(/^ /, '');
                if (k === 'event') name = v; else if (k === 'data') data += (data ? '\n' : '') + v;
                else if (k === 'retry' && /^\d+$/.test(v)) retry = Number(v);
              }
              let obj = data; try { obj = JSON.parse(data); } catch { /* plain text */ }
              if (name === 'ready') onState('open');
              onEvent(name, obj);
            }
          }
        }
      } catch (e) { if (ctl.signal.aborted) return; onState('error', e); }
      if (ctl.signal.aborted) return;
      onState('reconnecting');
      await wait(retry);
    }
  })();
  return { close: () => ctl.abort() };
}
