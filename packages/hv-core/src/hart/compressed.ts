/**
 * Expands a 16-bit RVC instruction (RV64C + the D-extension loads/stores) into the 32-bit
 * instruction it stands for, so one decoder serves both. Returns 0 for reserved or illegal
 * encodings (0 is itself illegal as a 32-bit instruction).
 */
export function expandCompressed(h: number): number {
  const quadrant = h & 3;
  const funct3 = (h >>> 13) & 7;
  const rdP = 8 + ((h >>> 2) & 7); // rd'/rs2' field
  const rs1P = 8 + ((h >>> 7) & 7); // rs1'/rd' field
  const rd = (h >>> 7) & 31;
  const rs2 = (h >>> 2) & 31;
  const bit12 = (h >>> 12) & 1;
  switch (quadrant) {
    case 0:
      switch (funct3) {
        case 0: {
          // c.addi4spn: nzuimm[5:4|9:6|2|3]
          const imm =
            (((h >>> 11) & 3) << 4) |
            (((h >>> 7) & 15) << 6) |
            (((h >>> 6) & 1) << 2) |
            (((h >>> 5) & 1) << 3);
          return imm === 0 ? 0 : encI(0x13, rdP, 0, 2, imm);
        }
        case 1: // c.fld
          return encI(0x07, rdP, 3, rs1P, ldOffset(h));
        case 2: // c.lw
          return encI(0x03, rdP, 2, rs1P, lwOffset(h));
        case 3: // c.ld
          return encI(0x03, rdP, 3, rs1P, ldOffset(h));
        case 5: // c.fsd
          return encS(0x27, 3, rs1P, rdP, ldOffset(h));
        case 6: // c.sw
          return encS(0x23, 2, rs1P, rdP, lwOffset(h));
        case 7: // c.sd
          return encS(0x23, 3, rs1P, rdP, ldOffset(h));
        default:
          return 0;
      }
    case 1:
      switch (funct3) {
        case 0: // c.addi (rd = 0 is a hint: a nop)
          return encI(0x13, rd, 0, rd, imm6(h));
        case 1: // c.addiw
          return rd === 0 ? 0 : encI(0x1b, rd, 0, rd, imm6(h));
        case 2: // c.li
          return encI(0x13, rd, 0, 0, imm6(h));
        case 3: {
          if (rd === 2) {
            // c.addi16sp: nzimm[9|4|6|8:7|5]
            const imm =
              (bit12 ? -512 : 0) |
              (((h >>> 6) & 1) << 4) |
              (((h >>> 5) & 1) << 6) |
              (((h >>> 3) & 3) << 7) |
              (((h >>> 2) & 1) << 5);
            return imm === 0 ? 0 : encI(0x13, 2, 0, 2, imm);
          }
          // c.lui
          const imm = imm6(h) << 12;
          return imm === 0 ? 0 : (imm & 0xfffff000) | (rd << 7) | 0x37;
        }
        case 4: {
          const op2 = (h >>> 10) & 3;
          const shamt = (bit12 << 5) | rs2;
          if (op2 === 0) return encI(0x13, rs1P, 5, rs1P, shamt); // c.srli
          if (op2 === 1) return encI(0x13, rs1P, 5, rs1P, shamt | 0x400); // c.srai
          if (op2 === 2) return encI(0x13, rs1P, 7, rs1P, imm6(h)); // c.andi
          const f = (h >>> 5) & 3;
          const r2 = rdP;
          if (bit12 === 0) {
            if (f === 0) return encR(0x33, rs1P, 0, rs1P, r2, 0x20); // c.sub
            if (f === 1) return encR(0x33, rs1P, 4, rs1P, r2, 0); // c.xor
            if (f === 2) return encR(0x33, rs1P, 6, rs1P, r2, 0); // c.or
            return encR(0x33, rs1P, 7, rs1P, r2, 0); // c.and
          }
          if (f === 0) return encR(0x3b, rs1P, 0, rs1P, r2, 0x20); // c.subw
          if (f === 1) return encR(0x3b, rs1P, 0, rs1P, r2, 0); // c.addw
          return 0;
        }
        case 5: // c.j
          return encJ(0, jOffset(h));
        case 6: // c.beqz
          return encB(0, rs1P, 0, bOffset(h));
        default: // c.bnez
          return encB(1, rs1P, 0, bOffset(h));
      }
    case 2:
      switch (funct3) {
        case 0: // c.slli
          return encI(0x13, rd, 1, rd, (bit12 << 5) | rs2);
        case 1: // c.fldsp: uimm[5|4:3|8:6]
          return encI(0x07, rd, 3, 2, (bit12 << 5) | (((h >>> 5) & 3) << 3) | (((h >>> 2) & 7) << 6));
        case 2: // c.lwsp: uimm[5|4:2|7:6]
          return rd === 0
            ? 0
            : encI(0x03, rd, 2, 2, (bit12 << 5) | (((h >>> 4) & 7) << 2) | (((h >>> 2) & 3) << 6));
        case 3: // c.ldsp
          return rd === 0
            ? 0
            : encI(0x03, rd, 3, 2, (bit12 << 5) | (((h >>> 5) & 3) << 3) | (((h >>> 2) & 7) << 6));
        case 4:
          if (bit12 === 0) {
            if (rs2 === 0) return rd === 0 ? 0 : encI(0x67, 0, 0, rd, 0); // c.jr
            return encR(0x33, rd, 0, 0, rs2, 0); // c.mv
          }
          if (rs2 === 0) {
            if (rd === 0) return 0x00100073; // c.ebreak
            return encI(0x67, 1, 0, rd, 0); // c.jalr
          }
          return encR(0x33, rd, 0, rd, rs2, 0); // c.add
        case 5: // c.fsdsp: uimm[5:3|8:6]
          return encS(0x27, 3, 2, rs2, (((h >>> 10) & 7) << 3) | (((h >>> 7) & 7) << 6));
        case 6: // c.swsp: uimm[5:2|7:6]
          return encS(0x23, 2, 2, rs2, (((h >>> 9) & 15) << 2) | (((h >>> 7) & 3) << 6));
        default: // c.sdsp
          return encS(0x23, 3, 2, rs2, (((h >>> 10) & 7) << 3) | (((h >>> 7) & 7) << 6));
      }
    default:
      return 0;
  }
}

/** Sign-extended 6-bit immediate from bits 12 and 6:2. */
function imm6(h: number): number {
  return ((h >>> 12) & 1 ? -32 : 0) | ((h >>> 2) & 31) | 0;
}
/** c.lw/c.sw offset: uimm[5:3] at 12:10, [2] at 6, [6] at 5. */
function lwOffset(h: number): number {
  return (((h >>> 10) & 7) << 3) | (((h >>> 6) & 1) << 2) | (((h >>> 5) & 1) << 6);
}
/** c.ld/c.sd/c.fld/c.fsd offset: uimm[5:3] at 12:10, [7:6] at 6:5. */
function ldOffset(h: number): number {
  return (((h >>> 10) & 7) << 3) | (((h >>> 5) & 3) << 6);
}
/** c.j offset[11|4|9:8|10|6|7|3:1|5]. */
function jOffset(h: number): number {
  const v =
    (((h >>> 12) & 1) << 11) |
    (((h >>> 11) & 1) << 4) |
    (((h >>> 9) & 3) << 8) |
    (((h >>> 8) & 1) << 10) |
    (((h >>> 7) & 1) << 6) |
    (((h >>> 6) & 1) << 7) |
    (((h >>> 3) & 7) << 1) |
    (((h >>> 2) & 1) << 5);
  return (v << 20) >> 20;
}
/** c.beqz/c.bnez offset[8|4:3] at 12:10, [7:6|2:1|5] at 6:2. */
function bOffset(h: number): number {
  const v =
    (((h >>> 12) & 1) << 8) |
    (((h >>> 10) & 3) << 3) |
    (((h >>> 5) & 3) << 6) |
    (((h >>> 3) & 3) << 1) |
    (((h >>> 2) & 1) << 5);
  return (v << 23) >> 23;
}

function encI(opcode: number, rd: number, f3: number, rs1: number, imm: number): number {
  return ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode;
}
function encS(opcode: number, f3: number, rs1: number, rs2: number, imm: number): number {
  return (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | opcode;
}
function encR(opcode: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode;
}
function encB(f3: number, rs1: number, rs2: number, imm: number): number {
  return (
    (((imm >> 12) & 1) << 31) |
    (((imm >> 5) & 0x3f) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    (((imm >> 1) & 15) << 8) |
    (((imm >> 11) & 1) << 7) |
    0x63
  );
}
function encJ(rd: number, imm: number): number {
  return (
    (((imm >> 20) & 1) << 31) |
    (((imm >> 1) & 0x3ff) << 21) |
    (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) |
    (rd << 7) |
    0x6f
  );
}
