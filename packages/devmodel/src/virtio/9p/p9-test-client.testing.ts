import { type P9Reader, P9Writer, readHeader } from "./codec.js";
import { P9_RLERROR, P9_TVERSION } from "./constants.js";

/** A parsed reply: its type, and a reader at its body. */
export interface TestReply {
  readonly type: number;
  readonly body: P9Reader;
}

/** Builds T-messages with a fresh tag each and decodes the reply header. */
export class P9TestClient {
  private nextTag = 1;

  constructor(private readonly send: (request: Uint8Array) => Promise<Uint8Array>) {}

  async call(type: number, build: (w: P9Writer) => void): Promise<TestReply> {
    const tag = type === P9_TVERSION ? 0xffff : this.nextTag++ & 0xfffe;
    const w = new P9Writer(type, tag);
    build(w);
    const reply = await this.send(w.finish());
    const h = readHeader(reply);
    if (h.tag !== tag) throw new Error(`reply tag ${h.tag}, sent ${tag}`);
    return { type: h.type, body: h.body };
  }

  /** Calls and returns the Rlerror errno, or 0 when the reply is the expected R-message. */
  async errno(type: number, build: (w: P9Writer) => void): Promise<number> {
    const r = await this.call(type, build);
    if (r.type === P9_RLERROR) return r.body.u32();
    if (r.type !== type + 1) throw new Error(`reply type ${r.type} to ${type}`);
    return 0;
  }

  /** Calls and requires success; returns the body. */
  async ok(type: number, build: (w: P9Writer) => void): Promise<P9Reader> {
    const r = await this.call(type, build);
    if (r.type === P9_RLERROR) throw new Error(`type ${type}: Rlerror ${r.body.u32()}`);
    if (r.type !== type + 1) throw new Error(`reply type ${r.type} to ${type}`);
    return r.body;
  }
}
