; Protected mode: exceptions with their error codes, segment checks, privilege levels, ring
; transitions (IRET, interrupt gates, call gates, SYSENTER/SYSEXIT), IOPL and the I/O bitmap.
%include "lib.inc"

bounds: dd 0, 10
align 8
ldt:
  dq 0
  dq 0x00cff2100000ffff       ; LDT 0x08 (selector 0x0f): data DPL3, base 0x00100000
  dq 0x00009a000000ffff       ; LDT 0x10 (selector 0x14): 16-bit code DPL0
ldt_end:

main:
  PRINTLN "pm: exceptions"
  EXPECT .r1
  xor edx, edx
  mov eax, 5
  xor ecx, ecx
  div ecx
.r1:
  EXPECT .r2
  ud2
.r2:
  EXPECT .r3
  xor eax, eax
  mov ss, ax
.r3:
  EXPECT .r4
  mov ax, 0x1f8
  mov ds, ax
.r4:
  EXPECT .r5
  mov ax, SEL_NP
  mov ds, ax
.r5:
  EXPECT .r7
  mov eax, 100
  bound eax, [bounds]
.r7:
  EXPECT .r8
  int3
.r8:
  EXPECT .r9
  mov al, 0x7f
  add al, 1
  into
.r9:
  EXPECT .r10
  int 0x31
.r10:
  ; (Segment limit and type checks on data accesses are not compared here: qemu's TCG does not
  ; implement them. Unit tests cover them against the SDM.)
  EXPECT .r13
  mov ax, SEL_CODE3
  mov ss, ax
.r13:
  EXPECT .r14
  jmp 0x20:0
.r14:
  EXPECT .r15
  call SEL_TSS0:0
.r15:
  ; LAR/LSL/VERR/VERW at ring 0
  mov eax, 0
  mov bx, SEL_CODE3
  lar eax, bx
  pushfd
  SHOW "lar code3=", eax
  pop eax
  and eax, 0x40
  SHOW " zf=", eax
  mov bx, SEL_TSS0
  lsl eax, bx
  SHOW " lsl tss=", eax
  mov bx, SEL_CGATE
  mov eax, 0x1234
  lsl eax, bx
  pushfd
  SHOW " lsl gate=", eax
  pop eax
  and eax, 0x40
  SHOW " zf=", eax
  mov bx, SEL_RO
  verw bx
  pushfd
  pop eax
  and eax, 0x40
  SHOW " verw ro=", eax
  verr bx
  pushfd
  pop eax
  and eax, 0x40
  SHOW " verr ro=", eax
  call newline
  ; an LDT: install its descriptor in the GDT's spare slot 0x50, LLDT, load FS from it
  mov eax, ldt
  mov ebx, ldt_end - ldt - 1
  mov cl, 0x82
  mov edi, gdt + 0x50
  call set_sysdesc
  mov ax, 0x50
  lldt ax
  sldt ax
  and eax, 0xffff
  SHOW "ldtr=", eax
  mov ax, 0x0f
  mov fs, ax
  mov eax, [fs:mb_header - 0x100000]
  SHOW " fs:[0]=", eax
  mov bx, 0x0f
  lar eax, bx
  SHOW " lar=", eax
  lsl eax, bx
  SHOW " lsl=", eax
  call newline
  EXPECT .l1
  mov ax, 0x1c                  ; LDT index 3: beyond the LDT limit
  mov gs, ax
.l1:
  xor ax, ax
  mov fs, ax
  lldt ax
  ; conforming code segment: callable from ring 0, runs at CPL 0
  call SEL_CONF:conf_fn
  ; SYSENTER MSRs
  mov ecx, 0x174
  mov eax, SEL_CODE0
  xor edx, edx
  wrmsr
  mov ecx, 0x175
  mov eax, sestack_top
  wrmsr
  mov ecx, 0x176
  mov eax, sysenter_target
  wrmsr
  mov ecx, 0x174
  rdmsr
  SHOW "sysenter_cs=", eax
  call newline
  PRINTLN "pm: ring 3, IOPL 0"
  mov byte [iobitmap + 0x80/8], 1
  mov eax, user_iopl0
  mov ebx, 0
  call run_ring3
  PRINTLN "pm: ring 3, IOPL 3"
  mov eax, user_iopl3
  mov ebx, 3
  call run_ring3
  ; an interrupt from ring 3 switches to the TSS stack: check ESP0 was used
  PRINTLN "pm: stack switch"
  mov eax, user_stack
  mov ebx, 0
  call run_ring3
  ret

conf_fn:
  mov eax, cs
  SHOW "conforming cs=", eax
  call newline
  retf

sysenter_target:
  mov eax, cs
  SHOW "sysenter cs=", eax
  mov eax, ss
  SHOW " ss=", eax
  SHOW " esp=", esp
  call newline
  sysexit

user_iopl0:
  mov eax, cs
  SHOW "ring3 cs=", eax
  mov eax, ss
  SHOW " ss=", eax
  call newline
  EXPECT .u1
  cli
.u1:
  EXPECT .u2
  hlt
.u2:
  EXPECT .u3
  mov eax, cr0
.u3:
  EXPECT .u4
  out 0x80, al
.u4:
  EXPECT .u5
  mov dx, 0x500
  in al, dx
.u5:
  EXPECT .u6
  int 0x31
.u6:
  EXPECT .u7
  mov ax, SEL_DATA0
  mov ds, ax
.u7:
  EXPECT .u8
  lgdt [gdtr]
.u8:
  EXPECT .u9
  wrmsr
.u9:
  ; POPF cannot change IF or IOPL at CPL 3 with IOPL 0
  pushfd
  or dword [esp], 0x3200
  popfd
  pushfd
  pop eax
  and eax, 0x3200
  SHOW "popf iopl/if=", eax
  ; descriptor queries from ring 3
  mov bx, SEL_CODE0
  mov eax, 0x55
  lar eax, bx
  pushfd
  pop ecx
  and ecx, 0x40
  SHOW " lar code0 zf=", ecx
  mov bx, SEL_CGATE
  lar eax, bx
  pushfd
  pop ecx
  and ecx, 0x40
  SHOW " lar gate=", eax
  SHOW " zf=", ecx
  call newline
  ; call gate to ring 0 with two parameters
  push dword 0x1111
  push dword 0x2222
  call SEL_CGATE:0
  SHOW "after callgate esp delta=", esp
  call newline
  ; SYSENTER / SYSEXIT
  mov ecx, esp
  mov edx, .back
  sysenter
.back:
  mov eax, cs
  SHOW "after sysexit cs=", eax
  SHOW " esp ok=", ecx
  call newline
  ; INT3 and INTO are allowed (DPL 3 gates)
  EXPECT .u10
  int3
.u10:
  int 0x30

user_iopl3:
  cli
  sti
  pushfd
  pop eax
  and eax, 0x3200
  SHOW "iopl3 flags=", eax
  mov dx, 0x500
  in al, dx
  PRINT " io ok"
  call newline
  EXPECT .u1
  hlt
.u1:
  int 0x30

user_stack:
  mov esi, esp
  EXPECT .u1
  int 0x31
.u1:
  SHOW "user esp preserved=", esi
  SHOW " now=", esp
  call newline
  int 0x30
