graph [
  directed 1
  name "layered-sparse-60-s0"
  node [
    id 0
    label "0"
    memory 0.0
  ]
  node [
    id 1
    label "1"
    memory 0.0
  ]
  node [
    id 2
    label "2"
    memory 3216.0
  ]
  node [
    id 3
    label "3"
    memory 4057.0
  ]
  node [
    id 4
    label "4"
    memory 0.0
  ]
  node [
    id 5
    label "5"
    memory 0.0
  ]
  node [
    id 6
    label "6"
    memory 3242.0
  ]
  node [
    id 7
    label "7"
    memory 2819.0
  ]
  node [
    id 8
    label "8"
    memory 2153.0
  ]
  node [
    id 9
    label "9"
    memory 0.0
  ]
  node [
    id 10
    label "10"
    memory 2651.0
  ]
  node [
    id 11
    label "11"
    memory 0.0
  ]
  node [
    id 12
    label "12"
    memory 0.0
  ]
  node [
    id 13
    label "13"
    memory 4302.0
  ]
  node [
    id 14
    label "14"
    memory 3506.0
  ]
  node [
    id 15
    label "15"
    memory 3841.0
  ]
  node [
    id 16
    label "16"
    memory 4837.0
  ]
  node [
    id 17
    label "17"
    memory 3548.0
  ]
  node [
    id 18
    label "18"
    memory 2477.0
  ]
  node [
    id 19
    label "19"
    memory 1328.0
  ]
  node [
    id 20
    label "20"
    memory 0.0
  ]
  node [
    id 21
    label "21"
    memory 0.0
  ]
  node [
    id 22
    label "22"
    memory 3376.0
  ]
  node [
    id 23
    label "23"
    memory 1102.0
  ]
  node [
    id 24
    label "24"
    memory 0.0
  ]
  node [
    id 25
    label "25"
    memory 0.0
  ]
  node [
    id 26
    label "26"
    memory 1582.0
  ]
  node [
    id 27
    label "27"
    memory 4277.0
  ]
  node [
    id 28
    label "28"
    memory 2626.0
  ]
  node [
    id 29
    label "29"
    memory 0.0
  ]
  node [
    id 30
    label "30"
    memory 4640.0
  ]
  node [
    id 31
    label "31"
    memory 4764.0
  ]
  node [
    id 32
    label "32"
    memory 0.0
  ]
  node [
    id 33
    label "33"
    memory 3374.0
  ]
  node [
    id 34
    label "34"
    memory 4291.0
  ]
  node [
    id 35
    label "35"
    memory 0.0
  ]
  node [
    id 36
    label "36"
    memory 2661.0
  ]
  node [
    id 37
    label "37"
    memory 4440.0
  ]
  node [
    id 38
    label "38"
    memory 4320.0
  ]
  node [
    id 39
    label "39"
    memory 0.0
  ]
  node [
    id 40
    label "40"
    memory 0.0
  ]
  node [
    id 41
    label "41"
    memory 1409.0
  ]
  node [
    id 42
    label "42"
    memory 0.0
  ]
  node [
    id 43
    label "43"
    memory 1438.0
  ]
  node [
    id 44
    label "44"
    memory 1314.0
  ]
  node [
    id 45
    label "45"
    memory 2035.0
  ]
  node [
    id 46
    label "46"
    memory 0.0
  ]
  node [
    id 47
    label "47"
    memory 0.0
  ]
  node [
    id 48
    label "48"
    memory 2095.0
  ]
  node [
    id 49
    label "49"
    memory 0.0
  ]
  node [
    id 50
    label "50"
    memory 0.0
  ]
  node [
    id 51
    label "51"
    memory 0.0
  ]
  node [
    id 52
    label "52"
    memory 4776.0
  ]
  node [
    id 53
    label "53"
    memory 0.0
  ]
  node [
    id 54
    label "54"
    memory 0.0
  ]
  node [
    id 55
    label "55"
    memory 1147.0
  ]
  node [
    id 56
    label "56"
    memory 0.0
  ]
  node [
    id 57
    label "57"
    memory 2631.0
  ]
  node [
    id 58
    label "58"
    memory 1237.0
  ]
  node [
    id 59
    label "59"
    memory 2906.0
  ]
  edge [
    source 2
    target 11
    comm 1.0
  ]
  edge [
    source 4
    target 11
    comm 1.0
  ]
  edge [
    source 6
    target 12
    comm 1.0
  ]
  edge [
    source 7
    target 11
    comm 1.0
  ]
  edge [
    source 8
    target 13
    comm 1.0
  ]
  edge [
    source 11
    target 16
    comm 1.0
  ]
  edge [
    source 12
    target 14
    comm 1.0
  ]
  edge [
    source 13
    target 15
    comm 1.0
  ]
  edge [
    source 14
    target 21
    comm 1.0
  ]
  edge [
    source 15
    target 17
    comm 1.0
  ]
  edge [
    source 15
    target 18
    comm 1.0
  ]
  edge [
    source 15
    target 22
    comm 1.0
  ]
  edge [
    source 16
    target 19
    comm 1.0
  ]
  edge [
    source 16
    target 20
    comm 1.0
  ]
  edge [
    source 17
    target 35
    comm 1.0
  ]
  edge [
    source 18
    target 24
    comm 1.0
  ]
  edge [
    source 20
    target 23
    comm 1.0
  ]
  edge [
    source 20
    target 26
    comm 1.0
  ]
  edge [
    source 21
    target 22
    comm 1.0
  ]
  edge [
    source 23
    target 26
    comm 1.0
  ]
  edge [
    source 24
    target 25
    comm 1.0
  ]
  edge [
    source 24
    target 27
    comm 1.0
  ]
  edge [
    source 25
    target 28
    comm 1.0
  ]
  edge [
    source 25
    target 34
    comm 1.0
  ]
  edge [
    source 25
    target 40
    comm 1.0
  ]
  edge [
    source 26
    target 30
    comm 1.0
  ]
  edge [
    source 27
    target 29
    comm 1.0
  ]
  edge [
    source 27
    target 31
    comm 1.0
  ]
  edge [
    source 27
    target 32
    comm 1.0
  ]
  edge [
    source 27
    target 33
    comm 1.0
  ]
  edge [
    source 27
    target 35
    comm 1.0
  ]
  edge [
    source 27
    target 37
    comm 1.0
  ]
  edge [
    source 27
    target 46
    comm 1.0
  ]
  edge [
    source 28
    target 37
    comm 1.0
  ]
  edge [
    source 28
    target 44
    comm 1.0
  ]
  edge [
    source 28
    target 45
    comm 1.0
  ]
  edge [
    source 29
    target 40
    comm 1.0
  ]
  edge [
    source 30
    target 45
    comm 1.0
  ]
  edge [
    source 32
    target 38
    comm 1.0
  ]
  edge [
    source 33
    target 36
    comm 1.0
  ]
  edge [
    source 33
    target 39
    comm 1.0
  ]
  edge [
    source 33
    target 41
    comm 1.0
  ]
  edge [
    source 33
    target 44
    comm 1.0
  ]
  edge [
    source 34
    target 40
    comm 1.0
  ]
  edge [
    source 35
    target 41
    comm 1.0
  ]
  edge [
    source 36
    target 42
    comm 1.0
  ]
  edge [
    source 37
    target 42
    comm 1.0
  ]
  edge [
    source 37
    target 44
    comm 1.0
  ]
  edge [
    source 38
    target 43
    comm 1.0
  ]
  edge [
    source 38
    target 46
    comm 1.0
  ]
  edge [
    source 38
    target 48
    comm 1.0
  ]
  edge [
    source 39
    target 52
    comm 1.0
  ]
  edge [
    source 39
    target 56
    comm 1.0
  ]
  edge [
    source 40
    target 45
    comm 1.0
  ]
  edge [
    source 40
    target 46
    comm 1.0
  ]
  edge [
    source 40
    target 53
    comm 1.0
  ]
  edge [
    source 43
    target 49
    comm 1.0
  ]
  edge [
    source 44
    target 50
    comm 1.0
  ]
  edge [
    source 46
    target 47
    comm 1.0
  ]
  edge [
    source 46
    target 48
    comm 1.0
  ]
  edge [
    source 47
    target 51
    comm 1.0
  ]
  edge [
    source 47
    target 52
    comm 1.0
  ]
  edge [
    source 47
    target 56
    comm 1.0
  ]
  edge [
    source 48
    target 55
    comm 1.0
  ]
  edge [
    source 49
    target 51
    comm 1.0
  ]
  edge [
    source 49
    target 54
    comm 1.0
  ]
  edge [
    source 50
    target 53
    comm 1.0
  ]
  edge [
    source 52
    target 57
    comm 1.0
  ]
  edge [
    source 52
    target 59
    comm 1.0
  ]
  edge [
    source 56
    target 58
    comm 1.0
  ]
]
