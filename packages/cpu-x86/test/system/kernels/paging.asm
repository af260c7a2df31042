; Paging: 4 KiB and 4 MiB pages, #PF error codes and CR2, CR0.WP, user/supervisor pages,
; accessed and dirty bits, INVLPG and CR3 reloads.
%include "lib.inc"

PAGE_TEST equ 0x300000        ; a page whose PTE the tests change
PAGE_RO   equ 0x301000        ; read-only
PAGE_SUP  equ 0x302000        ; supervisor-only
PAGE_NP   equ 0x303000        ; not present

main:
  PRINTLN "paging: setup"
  ; PT0: identity map 0-4 MiB, user, writable
  xor ecx, ecx
.pt: mov eax, ecx
  shl eax, 12
  or eax, 7
  mov [pt0 + ecx*4], eax
  inc ecx
  cmp ecx, 1024
  jb .pt
  and dword [pt0 + (PAGE_RO >> 12)*4], ~2
  and dword [pt0 + (PAGE_SUP >> 12)*4], ~4
  mov dword [pt0 + (PAGE_NP >> 12)*4], 0
  mov eax, pt0
  or eax, 7
  mov [pd], eax
  ; PDE1: a 4 MiB page (PSE) at 4 MiB mapping physical 0, supervisor, writable
  mov dword [pd + 4], 0x00000083
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov eax, pd
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  PRINTLN "paging: on"
  mov dword [0x200000], 0xcafebabe
  mov eax, [0x600000]
  SHOW "4M alias=", eax
  call newline
  ; accessed/dirty bits
  mov eax, [PAGE_TEST]
  mov eax, [pt0 + (PAGE_TEST >> 12)*4]
  and eax, 0x60
  SHOW "A/D after read=", eax
  mov dword [PAGE_TEST], 5
  mov eax, [pt0 + (PAGE_TEST >> 12)*4]
  and eax, 0x60
  SHOW " after write=", eax
  mov eax, [pd + 4]
  and eax, 0x60
  SHOW " 4M pde=", eax
  call newline
  ; faults at CPL 0
  EXPECT .f1
  mov eax, [PAGE_NP + 0x10]
.f1:
  EXPECT .f2
  mov dword [PAGE_NP + 0x20], 1
.f2:
  EXPECT .f3
  mov eax, [0x800123]
.f3:
  mov dword [PAGE_RO], 7
  PRINTLN "supervisor write to read-only page with WP=0: ok"
  mov eax, cr0
  or eax, 0x10000
  mov cr0, eax
  EXPECT .f4
  mov dword [PAGE_RO + 4], 7
.f4:
  EXPECT .f5
  call PAGE_NP
.f5:
  add esp, 4                  ; the CALL pushed its return address before the fetch faulted
  ; a write that crosses into a not-present page faults before any byte is written
  mov dword [PAGE_NP - 4], 0x11111111
  EXPECT .f6
  mov dword [PAGE_NP - 2], 0x22222222
.f6:
  mov eax, [PAGE_NP - 4]
  SHOW "cross-page write left ", eax
  call newline
  ; a REP MOVSB that runs into a not-present page faults with the progress made so far in
  ; ECX/ESI/EDI, and the bytes before the fault written
  mov esi, 0x200000
  mov edi, PAGE_NP - 8
  mov ecx, 16
  cld
  EXPECT .f7
  rep movsb
.f7:
  SHOW "rep movsb fault: ecx=", ecx
  SHOW " esi=", esi
  SHOW " edi=", edi
  mov eax, [PAGE_NP - 8]
  SHOW " copied=", eax
  call newline
  mov edi, PAGE_NP - 12
  mov ecx, 5
  mov eax, 0x12345678
  EXPECT .f8
  rep stosd
.f8:
  SHOW "rep stosd fault: ecx=", ecx
  SHOW " edi=", edi
  call newline
  ; remap PAGE_TEST to physical 0x200000 and INVLPG
  mov dword [pt0 + (PAGE_TEST >> 12)*4], 0x200007
  invlpg [PAGE_TEST]
  mov eax, [PAGE_TEST]
  SHOW "after invlpg=", eax
  mov dword [pt0 + (PAGE_TEST >> 12)*4], 0x300007
  mov eax, cr3
  mov cr3, eax
  mov eax, [PAGE_TEST]
  SHOW " after cr3 reload=", eax
  call newline
  ; user mode
  PRINTLN "paging: ring 3"
  mov eax, user
  mov ebx, 0
  call run_ring3
  ; page directory entry not present / user bit in the PDE
  and dword [pd], ~4
  mov eax, cr3
  mov cr3, eax
  mov dword [recover], 1      ; the ring-3 fetch faults: return to ring 0
  mov eax, user2
  mov ebx, 0
  call run_ring3
  mov dword [recover], 0
  or dword [pd], 4
  mov eax, cr3
  mov cr3, eax
  ; back to paging off
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax
  mov eax, [PAGE_TEST]
  SHOW "paging off, test page=", eax
  call newline
  ret

user:
  mov eax, [PAGE_TEST]
  SHOW "user read=", eax
  call newline
  EXPECT .u1
  mov eax, [PAGE_SUP]
.u1:
  EXPECT .u2
  mov dword [PAGE_SUP], 1
.u2:
  EXPECT .u3
  mov dword [PAGE_RO], 1
.u3:
  EXPECT .u4
  mov eax, [0x400000]
.u4:
  EXPECT .u5
  mov eax, [PAGE_NP]
.u5:
  int 0x30

user2:
  mov eax, [PAGE_TEST]
  int 0x30

align 4096
pd: times 1024 dd 0
pt0: times 1024 dd 0
