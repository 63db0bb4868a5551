import { type FileHandle, open } from "node:fs/promises";
import type { ImageFile } from "./image-file.js";

/** An {@link ImageFile} over a Node file handle. */
export class NodeImageFile implements ImageFile {
  private constructor(
    readonly name: string,
    readonly readOnly: boolean,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string, readOnly: boolean): Promise<NodeImageFile> {
    return new NodeImageFile(path, readOnly, await open(path, readOnly ? "r" : "r+"));
  }

  async length(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async read(position: number, buffer: Uint8Array): Promise<number> {
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, done, buffer.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }

  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
