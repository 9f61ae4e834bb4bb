// A Server-Sent Events client for tests: opens GET /stream and collects its frames until closed.
export interface Frame {
  id?: string;
  event?: string;
  data?: any;
}

export function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const frames: Frame[] = [];
  let contentType: string | null = null;
  const done = (async () => {
    const response = await fetch(url, { headers, signal: controller.signal });
    contentType = response.headers.get('content-type');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const frame: Frame = {};
        for (const line of block.split('\n')) {
          const [field, ...rest] = line.split(': ');
          if (field === 'id') frame.id = rest.join(': ');
          if (field === 'event') frame.event = rest.join(': ');
          if (field === 'data') frame.data = JSON.parse(rest.join(': '));
        }
        if (frame.event) frames.push(frame);
      }
    }
  })().catch((error) => {
    if (error.name !== 'AbortError') throw error;
  });
  return {
    frames,
    contentType: () => contentType,
    close: async () => (controller.abort(), await done),
  };
}
