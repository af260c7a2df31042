; Hardware task switching: JMP to a TSS, CALL through a task gate and IRET back (NT and the back
; link), INT through a task gate, busy bits, and a double fault handled by a task gate.
%include "lib.inc"

main:
  PRINTLN "tasks: setup"
  mov dword [tss2+0x1c], 0
  mov dword [tss2+0x20], task2
  mov dword [tss2+0x24], 0x2
  mov dword [tss2+0x38], t2stack_top
  mov word [tss2+0x48], SEL_DATA0
  mov word [tss2+0x4c], SEL_CODE0
  mov word [tss2+0x50], SEL_DATA0
  mov word [tss2+0x54], SEL_DATA0
  mov word [tss2+0x58], SEL_DATA0
  mov word [tss2+0x5c], SEL_DATA0
  mov dword [tss2+0x28], 0x1234     ; EAX of the new task
  ; IDT vector 0x40: task gate to TSS 2
  mov dword [idt + 0x40*8], SEL_TSS2 << 16
  mov dword [idt + 0x40*8 + 4], 0x0000e500
  call show_busy
  mov eax, 0xaaaa
  jmp SEL_TSS2:0
  SHOW "back from jmp eax=", eax
  call newline
  call show_busy
  call SEL_TGATE:0
  pushfd
  pop eax
  and eax, 0x4000
  SHOW "back from call NT=", eax
  call newline
  call show_busy
  int 0x40
  PRINTLN "back from int task gate"
  call show_busy
  ; a task switch to a busy TSS is #GP
  EXPECT .b1
  jmp SEL_TSS0:0
.b1:
  ; #DF: #GP while the #GP gate is not present -> #NP -> double fault -> task gate
  mov dword [idt + 8*8], SEL_TSSDF << 16
  mov dword [idt + 8*8 + 4], 0x00008500
  and byte [idt + 13*8 + 5], 0x7f
  PRINTLN "tasks: double fault"
  mov ax, 0x1f8
  mov ds, ax
  PRINTLN "not reached"
  ret

show_busy:
  mov bx, SEL_TSS0
  lar eax, bx
  shr eax, 8
  and eax, 0xf
  SHOW "tss0 type=", eax
  mov bx, SEL_TSS2
  lar eax, bx
  shr eax, 8
  and eax, 0xf
  SHOW " tss2 type=", eax
  str ax
  and eax, 0xffff
  SHOW " tr=", eax
  call newline
  ret

task2:
  call task_info
  jmp SEL_TSS0:0
  call task_info
  iret
  call task_info
  iret
  PRINTLN "task2: too many entries"
  jmp fail_exit

task_info:
  SHOW "task2: eax=", eax
  pushfd
  pop eax
  and eax, 0x4000
  SHOW " NT=", eax
  movzx eax, word [tss2]
  SHOW " link=", eax
  str ax
  and eax, 0xffff
  SHOW " tr=", eax
  mov eax, cr0
  and eax, 8
  SHOW " ts=", eax
  call newline
  clts
  mov eax, 0x5678
  ret
