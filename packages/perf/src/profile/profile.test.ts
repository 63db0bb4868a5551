import { describe, expect, it } from "vitest";
import { SymbolTable } from "../symbols/symbol-table.js";
import { Symbolizer } from "../symbols/symbolizer.js";
import { Profile } from "./profile.js";

function symbolizer(): Symbolizer {
  const result = new Symbolizer();
  result.add(
    new SymbolTable([
      { name: "do_idle", address: 0xffffffff80001000n, size: 0x100n },
      { name: "memcpy", address: 0xffffffff80002000n, size: 0x100n },
      { name: "schedule", address: 0xffffffff80003000n, size: 0x100n },
    ]),
    { module: "vmlinux" },
  );
  result.add(new SymbolTable([{ name: "busybox_main", address: 0x10000n, size: 0x1000n }]), {
    module: "busybox",
    asid: 5,
  });
  return result;
}

describe("Profile", () => {
  it("attributes samples to functions with percentages", () => {
    const profile = new Profile(symbolizer());
    for (let i = 0; i < 6; i++)
      profile.addSample({ vcpu: 0, pc: 0xffffffff80001010n + BigInt(i), mode: "kernel" });
    for (let i = 0; i < 3; i++) profile.addSample({ vcpu: 1, pc: 0xffffffff80002004n, mode: "kernel" });
    profile.addSampleParts(1, 0x10010, 0, 0, 5);
    expect(profile.total).toBe(10);
    expect(profile.top(2)).toEqual([
      {
        name: "do_idle",
        module: "vmlinux",
        samples: 6,
        percent: 60,
        byMode: { user: 0, kernel: 6, machine: 0 },
      },
      {
        name: "memcpy",
        module: "vmlinux",
        samples: 3,
        percent: 30,
        byMode: { user: 0, kernel: 3, machine: 0 },
      },
    ]);
    const user = profile.top(5, { mode: "user" });
    expect(user).toEqual([
      {
        name: "busybox_main",
        module: "busybox",
        samples: 1,
        percent: 100,
        byMode: { user: 1, kernel: 0, machine: 0 },
      },
    ]);
    const vcpu1 = profile.top(5, { vcpu: 1 });
    expect(vcpu1.map((entry) => [entry.name, entry.percent])).toEqual([
      ["memcpy", 75],
      ["busybox_main", 25],
    ]);
  });

  it("keeps unknown addresses as hex", () => {
    const profile = new Profile(symbolizer());
    profile.addSample({ vcpu: 0, pc: 0x1234n, mode: "user" });
    profile.addSample({ vcpu: 0, pc: 0x1234n, mode: "user", asid: 9 });
    expect(profile.top(1)[0]).toMatchObject({ name: "0x1234", samples: 2 });
    expect(profile.top(1)[0].module).toBeUndefined();
  });

  it("folds call chains outermost first and leaf-only samples as one frame", () => {
    const profile = new Profile(symbolizer());
    const chain = [0xffffffff80003010n, 0xffffffff80001020n];
    profile.addSample({ vcpu: 0, pc: 0xffffffff80002000n, mode: "kernel", callchain: chain });
    profile.addSample({ vcpu: 0, pc: 0xffffffff80002008n, mode: "kernel", callchain: chain });
    profile.addSample({ vcpu: 0, pc: 0xffffffff80002008n, mode: "kernel" });
    profile.addSample({ vcpu: 0, pc: 0xffffffff80001000n, mode: "kernel" });
    expect(profile.folded()).toBe("do_idle 1\ndo_idle;schedule;memcpy 2\nmemcpy 1\n");
    profile.reset();
    expect(profile.total).toBe(0);
    expect(profile.folded()).toBe("");
  });
});
