# Prints "sAMAccountName<TAB>objectGUID" for every user and group of a
# Samba AD DC, the GUID rendered by Samba's own misc.GUID (as samba-tool
# and Windows print it). Reads sam.ldb directly; samba may be running.
# Usage: python3 guids.py SMB_CONF
import sys

from samba.auth import system_session
from samba.dcerpc import misc
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
for m in db.search(expression="(|(objectClass=user)(objectClass=group))", attrs=["sAMAccountName", "objectGUID"]):
    print("%s\t%s" % (m["sAMAccountName"][0].decode(), str(ndr_unpack(misc.GUID, m["objectGUID"][0]))))
