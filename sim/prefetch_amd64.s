//go:build !purego

#include "textflag.h"

// func prefetchRing(buf []*Tasklet, from, to, mask uint32, frames bool) taskletFlags
TEXT ·prefetchRing(SB), NOSPLIT, $0-41
	MOVQ    buf_base+0(FP), SI
	MOVL    from+24(FP), AX
	MOVL    to+28(FP), CX
	MOVL    mask+32(FP), DX
	MOVBLZX frames+36(FP), R9
	MOVB    $0, ret+40(FP)

loop:
	CMPL  AX, CX
	JEQ   done
	MOVL  AX, BX
	ANDL  DX, BX
	MOVQ  (SI)(BX*8), R8 // the tasklet at position AX
	INCL  AX
	TESTQ R8, R8
	JEQ   loop           // a tombstone
	TESTQ R9, R9
	JEQ   tasklet
	MOVQ  8(R8), R8      // Tasklet.frame's data word: the frame
	TESTQ R8, R8
	JEQ   loop
	PREFETCHT0 (R8)
	JMP   loop

tasklet:
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)
	JMP   loop

done:
	RET
