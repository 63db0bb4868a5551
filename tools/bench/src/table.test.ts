import { describe, expect, it } from "vitest";
import { formatTable, groupDigits } from "./table.js";

describe("formatTable", () => {
  it("pads columns, aligns numbers right and trims line ends", () => {
    const text = formatTable(
      [{ header: "name" }, { header: "n", align: "right" }, { header: "note" }],
      [
        ["alpha", "1", "x"],
        ["b", "12345", ""],
      ],
    );
    expect(text.split("\n")).toEqual([
      "name       n  note",
      "-----  -----  ----",
      "alpha      1  x",
      "b      12345",
    ]);
  });

  it("prints missing cells empty", () => {
    expect(formatTable([{ header: "a" }, { header: "b" }], [["1"]]).split("\n")[2]).toBe("1");
  });

  it("groups digits by thousands", () => {
    expect(groupDigits(2101418560)).toBe("2,101,418,560");
    expect(groupDigits(12)).toBe("12");
  });
});
