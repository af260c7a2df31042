; Virtual-8086 mode extensions (CR4.VME) with IOPL 0: CLI/STI act on VIF, PUSHF/POPF show and load
; VIF as IF with IOPL 3, INT n goes through the v8086 IVT when its redirection bit is clear, a
; 16-bit IRET restores VIF, and INT n with its redirection bit set is #GP.
%include "lib.inc"

V86_BASE equ 0x7000

main:
  PRINTLN "vme: setup"
  mov esi, v86_image
  mov edi, V86_BASE
  mov ecx, v86_end - v86_image
  rep movsb
  ; IVT entry 0x21 -> 0700:int21
  mov word [0x21*4], int21 - v86_image
  mov word [0x21*4+2], 0x0700
  ; the redirection bitmap sits 32 bytes below the I/O map: move the I/O map up by 32 bytes
  mov word [tss0+0x66], 0x68 + 32
  mov byte [iobitmap + (0x30 >> 3)], 1 << (0x30 & 7)
  mov eax, cr4
  or eax, 1
  mov cr4, eax
  mov dword [recover], 1
  pushad
  mov [saved_esp], esp
  push dword 0
  push dword 0
  push dword 0x0700
  push dword 0x0700
  push dword 0x0800
  push dword 0x0ffe
  push dword 0x00020202      ; VM, IF, IOPL 0
  push dword 0x0700
  push dword 0
  iret

v86_image:
bits 16
  mov si, msg - v86_image
  call print
  cli
  call show_flags
  sti
  call show_flags
  int 0x21
  mov al, 'r'
  out 0xe9, al
  call show_flags
  push word 0x0002           ; IF clear
  popf
  call show_flags
  push word 0x0202           ; IF set
  popf
  call show_flags
  mov al, 10
  out 0xe9, al
  int 0x30                   ; redirection bit set, IOPL 0: #GP

int21:
  push bp
  mov bp, sp
  mov si, msg21 - v86_image
  call print
  mov ax, [bp+6]             ; the FLAGS image INT pushed
  call hex16
  mov al, ' '
  out 0xe9, al
  call show_flags
  pop bp
  iret

show_flags:                  ; prints FLAGS as PUSHF shows it
  pushf
  pop ax
  call hex16
  mov al, ' '
  out 0xe9, al
  ret
print:
  lodsb
  test al, al
  jz .d
  out 0xe9, al
  jmp print
.d: ret
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
msg: db "in v86 with VME: ", 0
msg21: db "[int21 pushed=", 0
bits 32
v86_end:
