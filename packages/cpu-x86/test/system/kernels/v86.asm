; Virtual-8086 mode: entering through IRET, real-mode addressing, IOPL-sensitive instructions
; (INT, CLI, PUSHF) with IOPL 3 and IOPL 0, the I/O bitmap, and returning to protected mode
; through an interrupt gate (the stack frame with the data segment registers).
%include "lib.inc"

V86_BASE equ 0x7000

main:
  PRINTLN "v86: setup"
  mov esi, v86_image
  mov edi, V86_BASE
  mov ecx, v86_end - v86_image
  rep movsb
  mov byte [iobitmap + 0x80/8], 1
  PRINTLN "v86: IOPL 3"
  mov ebx, 0x3000
  call enter_v86
  mov dword [recover], 0
  call newline
  PRINTLN "v86: IOPL 0"
  mov ebx, 0
  call enter_v86
  mov dword [recover], 0
  ret

; Enters v86 mode at 0700:0000 with EFLAGS.IOPL = ebx; comes back through ring0_return.
enter_v86:
  pushad
  mov [saved_esp], esp
  mov dword [recover], 1     ; an unexpected fault returns to ring 0 (see lib.inc)
  push dword 0x0000          ; gs
  push dword 0x0000          ; fs
  push dword 0x0700          ; ds
  push dword 0x0700          ; es
  push dword 0x0800          ; ss
  push dword 0x0ffe          ; sp
  mov eax, 0x00020002        ; VM
  or eax, ebx
  push eax
  push dword 0x0700          ; cs
  push dword 0x0000          ; ip
  iret

v86_image:
bits 16
  ; runs at 0700:0000
  mov si, msg - v86_image
.p: lodsb
  test al, al
  jz .d
  out 0xe9, al
  jmp .p
.d:
  mov ax, 0x1234
  mov bx, 0x0010
  mov [bx+si], ax
  mov cx, [bx+si]
  add cx, 0x1111
  mov al, ch
  call hex8
  mov al, cl
  call hex8
  mov ax, ss
  call hex16
  mov ax, sp
  call hex16
  mov al, 10
  out 0xe9, al
  pushf
  pop ax
  call hex16
  mov al, 10
  out 0xe9, al
  cli
  sti
  mov al, '!'
  out 0xe9, al
  int 0x30
  ; IOPL 3 never gets here (int 0x30 returns to ring 0)
hex16:
  push ax
  mov al, ah
  call hex8
  pop ax
hex8:
  push ax
  shr al, 4
  call hex4
  pop ax
hex4:
  and al, 0xf
  add al, '0'
  cmp al, '9'
  jbe .o
  add al, 7
.o: out 0xe9, al
  ret
msg: db "in v86: ", 0
bits 32
v86_end:
