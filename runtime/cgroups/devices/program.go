package devices

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Values of struct bpf_cgroup_dev_ctx (include/uapi/linux/bpf.h):
// access_type is (access << 16) | type.
const (
	devBlock = 1 // BPF_DEVCG_DEV_BLOCK
	devChar  = 2 // BPF_DEVCG_DEV_CHAR

	accMknod = 1 // BPF_DEVCG_ACC_MKNOD
	accRead  = 2 // BPF_DEVCG_ACC_READ
	accWrite = 4 // BPF_DEVCG_ACC_WRITE
	accAll   = accMknod | accRead | accWrite
)

// Program compiles rules into a device filter with the v1 kernel's
// semantics: the filter starts allowing everything; an "a" (all devices)
// rule resets it to allow- or deny-all and drops the rules before it; after
// that, the last matching rule decides. An allow rule matches a request
// whose access is a subset of the rule's; a deny rule matches a request
// touching any access it names.
func Program(rules []specs.LinuxDeviceCgroup) (asm.Instructions, error) {
	defaultAllow, start := true, 0
	for i, r := range rules {
		if r.Type == "" || r.Type == "a" {
			defaultAllow, start = r.Allow, i+1
		}
	}
	insns := asm.Instructions{
		// R2 = type, R3 = access, R4 = major, R5 = minor; R1 (ctx) is then free.
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.And.Imm32(asm.R2, 0xFFFF),
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),
		asm.RSh.Imm32(asm.R3, 16),
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word),
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word),
	}
	// Last rule first: the first match in the program is the last in the list.
	for i := len(rules) - 1; i >= start; i-- {
		next := fmt.Sprintf("rule%d", i-1)
		if i == start {
			next = "default"
		}
		block, err := ruleBlock(rules[i], next)
		if err != nil {
			return nil, fmt.Errorf("device rule %d: %w", i, err)
		}
		block[0] = block[0].WithSymbol(fmt.Sprintf("rule%d", i))
		insns = append(insns, block...)
	}
	insns = append(insns,
		asm.Mov.Imm32(asm.R0, verdict(defaultAllow)).WithSymbol("default"),
		asm.Return(),
	)
	return insns, nil
}

// ruleBlock returns instructions that exit with the rule's verdict when the
// request matches and jump to next otherwise.
func ruleBlock(r specs.LinuxDeviceCgroup, next string) (asm.Instructions, error) {
	var typ int32
	switch r.Type {
	case "b":
		typ = devBlock
	case "c":
		typ = devChar
	default:
		return nil, fmt.Errorf("type %q: want a, b or c", r.Type)
	}
	acc, err := accessMask(r.Access)
	if err != nil {
		return nil, err
	}
	block := asm.Instructions{asm.JNE.Imm32(asm.R2, typ, next)}
	switch {
	case r.Allow && acc != accAll:
		block = append(block,
			asm.Mov.Reg32(asm.R1, asm.R3),
			asm.And.Imm32(asm.R1, ^acc&accAll),
			asm.JNE.Imm32(asm.R1, 0, next))
	case !r.Allow && acc != accAll:
		block = append(block,
			asm.Mov.Reg32(asm.R1, asm.R3),
			asm.And.Imm32(asm.R1, acc),
			asm.JEq.Imm32(asm.R1, 0, next))
	}
	if r.Major != nil && *r.Major >= 0 {
		block = append(block, asm.JNE.Imm32(asm.R4, int32(*r.Major), next))
	}
	if r.Minor != nil && *r.Minor >= 0 {
		block = append(block, asm.JNE.Imm32(asm.R5, int32(*r.Minor), next))
	}
	return append(block, asm.Mov.Imm32(asm.R0, verdict(r.Allow)), asm.Return()), nil
}

func accessMask(s string) (int32, error) {
	if s == "" {
		return accAll, nil
	}
	var m int32
	for _, c := range s {
		switch c {
		case 'r':
			m |= accRead
		case 'w':
			m |= accWrite
		case 'm':
			m |= accMknod
		default:
			return 0, fmt.Errorf("access %q: want a subset of rwm", s)
		}
	}
	return m, nil
}

func verdict(allow bool) int32 {
	if allow {
		return 1
	}
	return 0
}
