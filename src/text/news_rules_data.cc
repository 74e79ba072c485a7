// The default news tables, embedded so that the binary needs no data files at run time. They are
// byte-for-byte copies of data/news/headline-tags.txt and data/news/aliases.tsv (the files are
// what users read and copy; tests/news_test.cc fails if the two drift apart). After editing a
// data file, paste it here between the delimiters.
#include "neardup/text/news_rules.h"

namespace neardup::internal {

const char kDefaultHeadlineTags[] = R"tags(# Headline tags that Normalizer strips from the start and end of titles (TextField::kTitle).
# One tag a line, with or without its brackets ("속보" and "[속보]" are the same entry); blank
# lines and lines starting with '#' are ignored. A tag matches in any bracket pair: [ ] ( )
# 【 】 〔 〕 〖 〗 and their full-width forms, with or without spaces inside or around.
# Matching is after NFKC and case folding, and ignores spaces inside the brackets, so "종합 2보"
# and "종합2보" are one tag. Every tag also matches with a version suffix: digits, optionally
# followed by 보 ("[종합2보]", "(속보1)", "[인터뷰①]"; NFKC turns ① into 1); "[1보]" and "(2보)"
# alone are tags too.
# Mirrored in src/news_rules_data.cc (tests/news_test.cc checks that the two agree).

# Wire and desk labels (Korean news).
속보
단독
종합
긴급
상보
수정
보강
재송
정정
르포
사설
칼럼
기고
시론
인터뷰
일문일답
전문
포토
사진
영상
화보
카드뉴스
그래픽
인포그래픽
팩트체크
이슈
뉴스
특징주
공식
공식입장
공식입장 전문
공식 전문
직격인터뷰
단독인터뷰
인터뷰 종합
종합s

# Recurring series labels, from ../shared/data/kocohub-ko-entertainment-titles (2 or more uses).
oh!쎈 이슈
oh!쎈 레터
oh!쎈 초점
oh!쎈 탐구
oh!쎈 리뷰
sc이슈
sc리뷰
sc현장
sc초점
sc컷
pop이슈
pop초점
팝업★
팝인터뷰
★shot!
★밤tview
★밤tv
★해시태그
★sns
어저께tv
간밤tv
어게인tv
tv핫스팟
tv북마크
re:tv
콕tv
엑's 이슈
엑's 현장
엑's 프리즘
엑's 인터뷰
da:리뷰
da:이슈
ss리뷰
ss이슈
ss인터뷰
sw이슈
sw시선
y이슈
n현장
리뷰is
이슈is
리폿@이슈
룩@차이나
전일야화
v라이브 종합
hi★뭐하세요?
tf포토
day컷
mk★tv픽
md리뷰
)tags";

const char kDefaultAliases[] = R"aliases(# Aliases that Normalizer applies to titles and bodies (NormalizeOptions::aliases): from<TAB>to.
# Blank lines and lines starting with '#' are ignored. Both sides are normalized like the text
# (NFKC, case folding) when loaded. A one-character key matches anywhere (尹대통령 -> 윤대통령);
# a longer key matches only at the start of a token (start of text, or after a character that
# is not a letter, digit or mark) and may be followed by anything (윤석열이 -> 윤이). The longest
# key wins; a later entry (e.g. from --alias-file) replaces an earlier one with the same key.
# Mirrored in src/news_rules_data.cc (tests/news_test.cc checks that the two agree).

# One-Hanja abbreviations of people common in headlines.
尹	윤
李	이
文	문
朴	박
金	김
# Countries, regions and institutions.
美	미
中	중
日	일
北	북
南	남
韓	한
英	영
獨	독
佛	불
露	러
伊	이
印	인
濠	호
歐	구
亞	아
與	여
野	야
靑	청
檢	검
警	경
軍	군
黨	당
# Prefixes and numbers.
前	전
現	현
故	고
新	신
舊	구
反	반
親	친
非	비
對	대
兆	조
億	억
# Full names abbreviated to the surname, so that 尹 and 윤석열 meet.
윤석열	윤
이재명	이
문재인	문
박근혜	박
이명박	이
한동훈	한
)aliases";

}  // namespace neardup::internal
