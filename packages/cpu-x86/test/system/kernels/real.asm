; Real mode: leaving protected mode, 16-bit code and addressing, the IVT (INT n, #DE), far
; calls, operand- and address-size prefixes, string instructions, and re-entering protected mode.
%include "lib.inc"

RBASE equ 0x8000

main:
  PRINTLN "real: setup"
  mov esi, real_image
  mov edi, RBASE
  mov ecx, real_end - real_image
  rep movsb
  pushad
  mov [saved_esp], esp
  jmp SEL_CODE16:RBASE
pm_back:
  mov ax, SEL_DATA0
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, [saved_esp]
  popad
  lidt [idtr]
  PRINTLN "real: back in protected mode"
  ret

real_image:
bits 16
  mov ax, SEL_DATA16
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  lidt [RBASE + rm_idtr - real_image]
  mov eax, cr0
  and al, 0xfe
  mov cr0, eax
  jmp 0x0800:(rm_start - real_image)
rm_idtr: dw 0x3ff
         dd 0
R equ (- real_image)
rm_start:
  mov ax, 0x0800
  mov ds, ax
  mov ax, 0x1000
  mov ss, ax
  mov sp, 0xfff0
  xor ax, ax
  mov es, ax
  ; IVT: #DE, INT 0x50
  mov word [es:0*4], de_handler + R
  mov word [es:0*4+2], 0x0800
  mov word [es:0x50*4], int50 + R
  mov word [es:0x50*4+2], 0x0800
  mov si, m_hello + R
  call print
  mov ax, cs
  call hex16
  call nl
  ; 16-bit addressing forms
  mov bx, 0x100
  mov si, 0x10
  mov di, 0x20
  mov bp, 0x200
  mov word [bx+si], 0x1111
  mov word [bx+di+4], 0x2222
  mov word [ss:bp+si], 0x3333
  mov ax, [bx+si]
  add ax, [bx+di+4]
  add ax, [bp+si]          ; SS default
  call hex16
  mov al, ' '
  out 0xe9, al
  mov ax, [0x110]
  call hex16
  call nl
  ; INT n through the IVT: IF and TF cleared, flags restored by IRET
  sti
  int 0x50
  pushf
  pop ax
  and ax, 0x0200
  call hex16
  call nl
  ; #DE in real mode: the saved IP points at the DIV
  mov ax, 10
  xor bl, bl
  div bl
  mov si, m_after_de + R
  call print
  ; far call and return
  call 0x0800:(farfn + R)
  ; 32-bit operands and addresses in real mode
  mov eax, 0x12345678
  mov ebx, 0x11111111
  add eax, ebx
  shr eax, 16
  call hex16
  mov al, ' '
  out 0xe9, al
  mov esi, 0x100
  mov ebx, 0x8
  mov ax, [esi+ebx*2]
  call hex16
  call nl
  ; strings, PUSHA/POPA, ENTER/LEAVE
  mov ax, ds
  mov es, ax
  mov si, 0x100
  mov di, 0x300
  mov cx, 8
  cld
  rep movsw
  mov ax, [0x310]
  call hex16
  mov al, ' '
  out 0xe9, al
  mov ax, 0xabcd
  mov di, 0x400
  mov cx, 3
  rep stosw
  mov ax, [0x404]
  call hex16
  mov al, ' '
  out 0xe9, al
  mov ax, 1
  mov cx, 2
  pusha
  mov ax, 3
  popa
  add ax, cx
  call hex16
  mov al, ' '
  out 0xe9, al
  enter 4, 0
  mov ax, sp
  leave
  call hex16
  call nl
  ; back to protected mode
  cli
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword SEL_CODE0:pm_back

farfn:
  mov si, m_far + R
  call print
  retf

int50:
  pushf
  pop ax
  and ax, 0x0300
  mov si, m_int50 + R
  call print
  call hex16
  call nl
  iret

de_handler:
  push bp
  mov bp, sp
  mov si, m_de + R
  call print
  mov ax, [bp+2]
  call hex16
  call nl
  add word [bp+2], 2          ; skip the 2-byte DIV
  pop bp
  iret

print:
  lodsb
  test al, al
  jz .d
  out 0xe9, al
  jmp print
.d: ret
nl:
  mov al, 10
  out 0xe9, al
  ret
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
m_hello: db "real mode cs=", 0
m_int50: db "int 0x50 flags=", 0
m_de: db "#DE at ip=", 0
m_after_de: db "after #DE", 10, 0
m_far: db "far call", 10, 0
bits 32
real_end:
