NAME        
ROWS
 N  Obj     
 G  r0      
 G  r1      
 G  r2      
 G  r3      
 G  r4      
 G  r5      
 G  r6      
 G  r7      
 E  r8      
COLUMNS
    c0        Obj       8
    c0        r0        5
    c0        r1        3
    c0        r2        2
    c0        r4        1
    c0        r5        5
    c0        r6        2
    c0        r7        4
    c0        r8        1
    c1        Obj       8
    c1        r0        3
    c1        r1        3
    c1        r2        5
    c1        r3        1
    c1        r4        3
    c1        r5        4
    c1        r6        2
    c1        r7        3
    c1        r8        1
    c2        Obj       1
    c2        r0        3
    c2        r1        5
    c2        r2        3
    c2        r3        2
    c2        r4        4
    c2        r5        4
    c2        r6        4
    c2        r7        3
    c2        r8        1
    c3        Obj       1
    c3        r0        1
    c3        r1        4
    c3        r3        2
    c3        r4        2
    c3        r5        2
    c3        r6        5
    c3        r7        2
    c4        Obj       7
    c4        r0        1
    c4        r1        3
    c4        r2        4
    c4        r3        2
    c4        r4        2
    c4        r5        5
    c4        r7        4
    c5        Obj       4
    c5        r1        3
    c5        r2        4
    c5        r4        5
    c5        r6        5
    c5        r7        2
    c6        Obj       6
    c6        r1        3
    c6        r2        5
    c6        r4        4
    c6        r5        3
    c6        r6        3
    c6        r7        1
    c7        Obj       2
    c7        r1        5
    c7        r2        1
    c7        r4        5
    c7        r5        4
    c7        r6        2
    c7        r7        5
    c8        Obj       8
    c8        r0        1
    c8        r1        1
    c8        r4        2
    c8        r5        5
    c8        r6        4
    c8        r7        1
    c9        Obj       5
    c9        r0        4
    c9        r1        4
    c9        r2        5
    c9        r3        4
    c9        r4        4
    c9        r5        3
    c9        r6        3
    c9        r7        1
    c10       Obj       9
    c10       r0        3
    c10       r1        4
    c10       r3        3
    c10       r4        5
    c10       r5        2
    c10       r6        1
    c10       r7        4
    c11       Obj       8
    c11       r0        5
    c11       r2        3
    c11       r3        3
    c11       r4        3
    c11       r5        1
    c11       r6        1
    c11       r7        3
RHS
    RHS_V     r0        5
    RHS_V     r1        6
    RHS_V     r2        10
    RHS_V     r3        17
    RHS_V     r4        11
    RHS_V     r5        16
    RHS_V     r6        9
    RHS_V     r7        8
    RHS_V     r8        6
BOUNDS
 UP BOUND     c0        10
 UP BOUND     c1        10
 UP BOUND     c2        10
 UP BOUND     c3        10
 UP BOUND     c4        10
 UP BOUND     c5        10
 UP BOUND     c6        10
 UP BOUND     c7        10
 UP BOUND     c8        10
 UP BOUND     c9        10
 UP BOUND     c10       10
 UP BOUND     c11       10
ENDATA
