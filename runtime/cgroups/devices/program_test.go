package devices

import (
	"testing"

	"github.com/cilium/ebpf/asm"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// run interprets the small instruction subset Program emits against one
// request, so the filter's logic is tested without a kernel. It returns R0.
func run(t *testing.T, insns asm.Instructions, typ, access, major, minor uint32) uint32 {
	t.Helper()
	ctx := [3]uint32{access<<16 | typ, major, minor}
	labels := map[string]int{}
	for i, ins := range insns {
		if s := ins.Symbol(); s != "" {
			labels[s] = i
		}
	}
	var reg [11]uint64
	for pc, steps := 0, 0; steps < 10000; steps++ {
		ins := insns[pc]
		pc++
		op := ins.OpCode
		switch {
		case op.Class() == asm.LdXClass:
			reg[ins.Dst] = uint64(ctx[ins.Offset/4])
		case op.Class() == asm.ALU64Class || op.Class() == asm.ALUClass:
			src := uint64(uint32(ins.Constant))
			if op.Source() == asm.RegSource {
				src = reg[ins.Src]
			}
			switch op.ALUOp() {
			case asm.And:
				reg[ins.Dst] &= src
			case asm.RSh:
				reg[ins.Dst] >>= src
			case asm.Mov:
				reg[ins.Dst] = src
			default:
				t.Fatalf("unexpected ALU op %v", ins)
			}
			reg[ins.Dst] = uint64(uint32(reg[ins.Dst]))
		case op.JumpOp() == asm.Exit:
			return uint32(reg[asm.R0])
		case op.Class().IsJump():
			v, c := uint32(reg[ins.Dst]), uint32(ins.Constant)
			taken := (op.JumpOp() == asm.JNE && v != c) || (op.JumpOp() == asm.JEq && v == c)
			if op.JumpOp() != asm.JNE && op.JumpOp() != asm.JEq {
				t.Fatalf("unexpected jump %v", ins)
			}
			if taken {
				target, ok := labels[ins.Reference()]
				if !ok {
					t.Fatalf("jump to unknown label %q", ins.Reference())
				}
				pc = target
			}
		default:
			t.Fatalf("unexpected instruction %v", ins)
		}
	}
	t.Fatal("program did not exit")
	return 0
}

func i64(v int64) *int64 { return &v }

const (
	r  = accRead
	w  = accWrite
	mk = accMknod
)

func TestProgramSemantics(t *testing.T) {
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},                                         // deny all
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"}, // /dev/null
		{Allow: true, Type: "c", Major: i64(136), Access: "rw"},               // pts
		{Allow: true, Type: "b", Major: i64(8), Minor: i64(0), Access: "r"},
		{Allow: false, Type: "c", Major: i64(136), Minor: i64(2), Access: "w"}, // later deny wins
		{Allow: true, Type: "c", Access: "m"},                                  // mknod any char
	}
	insns, err := Program(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ, acc, maj, min uint32
		want               uint32
	}{
		{devChar, r | w, 1, 3, 1},
		{devChar, r, 1, 5, 0}, // /dev/zero: not listed
		{devChar, r | w, 136, 7, 1},
		{devChar, mk, 136, 7, 1}, // mknod allowed for any char device
		{devChar, r, 136, 2, 1},
		{devChar, r | w, 136, 2, 0}, // touches the denied w
		{devBlock, r, 8, 0, 1},
		{devBlock, w, 8, 0, 0},
		{devBlock, mk, 8, 0, 0},
		{devChar, r, 8, 0, 0}, // type matters
	} {
		if got := run(t, insns, c.typ, c.acc, c.maj, c.min); got != c.want {
			t.Errorf("type %d access %d %d:%d = %d; want %d", c.typ, c.acc, c.maj, c.min, got, c.want)
		}
	}
}

func TestProgramDefaults(t *testing.T) {
	for _, c := range []struct {
		rules []specs.LinuxDeviceCgroup
		want  uint32
	}{
		{nil, 1}, // v1 default: allow all
		{[]specs.LinuxDeviceCgroup{{Allow: false, Type: "a"}}, 0},
		// A later "a" rule drops the earlier ones.
		{[]specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: i64(1), Minor: i64(5)}, {Allow: false}}, 0},
		{[]specs.LinuxDeviceCgroup{{Allow: false}, {Allow: true, Type: "c", Major: i64(1), Minor: i64(5)}}, 1},
	} {
		insns, err := Program(c.rules)
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, insns, devChar, r, 1, 5); got != c.want {
			t.Errorf("%v: /dev/zero read = %d; want %d", c.rules, got, c.want)
		}
	}
	if _, err := Program([]specs.LinuxDeviceCgroup{{Type: "c", Access: "x"}}); err == nil {
		t.Error("bad access accepted")
	}
	if _, err := Program([]specs.LinuxDeviceCgroup{{Type: "p"}}); err == nil {
		t.Error("bad type accepted")
	}
}
